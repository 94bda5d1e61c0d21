//! Messages go out by SMTP when it is configured, and stay in the outbox either way.

use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::{attr, TestServer, PASSWORD};

/// A minimal SMTP server on loopback that keeps every message it is given.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    if command.starts_with("DATA") {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        store.lock().unwrap().push(data);
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        write.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn confirmation_codes_are_emailed_when_smtp_is_configured() {
    let (port, received) = smtp_sink().await;
    let t = TestServer::start_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        config.smtp_from = "Demo <no-reply@demo.example>".into();
    })
    .await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("mail")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t.create_client(&pool, false).await;
    t.client
        .sign_up()
        .client_id(&client)
        .username("mia")
        .password(PASSWORD)
        .user_attributes(attr("email", "mia@example.com"))
        .send()
        .await
        .unwrap();
    let code = t.last_code(&pool).await;
    let mails = received.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: mia@example.com"), "{}", mails[0]);
    assert!(
        mails[0].contains("From: Demo <no-reply@demo.example>"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains(&format!("Your confirmation code is {code}")),
        "{}",
        mails[0]
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_leaves_the_message_in_the_outbox() {
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let t =
        TestServer::start_with(|config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
            .await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("mail")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t.create_client(&pool, false).await;
    t.client
        .sign_up()
        .client_id(&client)
        .username("max")
        .password(PASSWORD)
        .user_attributes(attr("email", "max@example.com"))
        .send()
        .await
        .expect("sign-up succeeds; the code waits in the outbox");
    let code = t.last_code(&pool).await;
    t.client
        .confirm_sign_up()
        .client_id(&client)
        .username("max")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
}
