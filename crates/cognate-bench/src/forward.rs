//! `cognate-bench forward`: the thinnest HTTP proxy on the stack the REST gateway is built on,
//! hyper's server and hyper-util's pooled client, with nothing between them: no routing,
//! middleware, signature, policy or caller token. Each request goes to the upstream with its
//! method, path, query, headers and body, and the answer comes back streamed. Its rate against
//! rest-direct is the floor of what any gateway on this stack pays for the hop alone, on the
//! same cores, so the gateway's own cost can be told apart from the hop's.

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

type Body = http_body_util::Either<Incoming, http_body_util::Empty<bytes::Bytes>>;

/// Accepts connections on `listener` and forwards every request to `upstream`
/// (`http://host:port`) until the process stops.
pub async fn serve(listener: tokio::net::TcpListener, upstream: Uri) -> Result<(), String> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    // The gateway's client, built as the gateway builds it (hyper-util's defaults).
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).build(connector);
    let authority = upstream
        .authority()
        .cloned()
        .ok_or_else(|| format!("{upstream} has no host"))?;
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let (stream, _peer) = listener.accept().await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let client = client.clone();
        let authority = authority.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                forward(client.clone(), authority.clone(), request)
            });
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(
    client: Client<HttpConnector, Incoming>,
    authority: hyper::http::uri::Authority,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/"));
    parts.uri = match Uri::builder()
        .scheme("http")
        .authority(authority)
        .path_and_query(path)
        .build()
    {
        Ok(uri) => uri,
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    match client.request(Request::from_parts(parts, body)).await {
        Ok(answer) => Ok(answer.map(http_body_util::Either::Left)),
        Err(_) => Ok(status(StatusCode::BAD_GATEWAY)),
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(http_body_util::Either::Right(http_body_util::Empty::new()));
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_get_reaches_the_upstream_and_its_answer_comes_back() {
        let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_url: Uri = format!("http://{}", upstream.local_addr().unwrap())
            .parse()
            .unwrap();
        tokio::spawn(async move { axum::serve(upstream, crate::scenarios::upstream_app()).await });
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_address = proxy.local_addr().unwrap();
        tokio::spawn(serve(proxy, upstream_url));

        let http = reqwest::Client::new();
        let answer = http
            .get(format!("http://{proxy_address}/items?x=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.headers()["content-type"],
            "application/json",
            "the upstream's headers come back"
        );
        assert_eq!(
            answer.text().await.unwrap(),
            crate::scenarios::UPSTREAM_ANSWER
        );
        let missing = http
            .get(format!("http://{proxy_address}/nothing"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            missing.status(),
            404,
            "the upstream's own answer, passed on"
        );
    }
}
