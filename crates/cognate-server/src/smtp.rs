//! Sending the outbox's email messages over SMTP, when `--smtp-url` is configured.

use async_trait::async_trait;
use cognate_core::model::OutboxMessage;
use cognate_core::service::MessageSender;
use cognate_core::{Error, Result};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// `url` as lettre reads it: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host:465`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("invalid SMTP URL {}: {e}", cognate_store::redact(url)))?
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("invalid sender address {from:?}: {e}"))?;
        Ok(SmtpSender { transport, from })
    }
}

#[async_trait]
impl MessageSender for SmtpSender {
    async fn deliver(&self, message: &OutboxMessage) -> Result<()> {
        let to: Mailbox = message
            .destination
            .parse()
            .map_err(|e| Error::internal(format!("recipient address: {e}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .body(message.body.clone())
            .map_err(Error::caused_by("building an email"))?;
        self.transport
            .send(email)
            .await
            .map_err(|e| Error::internal(format!("SMTP: {e}")))?;
        Ok(())
    }
}
