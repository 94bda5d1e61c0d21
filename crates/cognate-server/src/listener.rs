//! Accepting connections: hyper under axum, with the limits `axum::serve` does not offer. A
//! client that sends its headers slowly, or nothing, or leaves a keep-alive connection idle, is
//! cut off after the header timeout; one address holds at most so many connections at once; and
//! when the process runs out of file descriptors the server waits a moment and keeps accepting
//! instead of spinning or stopping. The HTTPS listener is the same loop with a TLS handshake
//! (held to the header timeout) before HTTP.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How a request arrived: over TLS or not (`aws:SecureTransport` in policies).
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub secure: bool,
}

/// The limits on connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, and how long a keep-alive
    /// connection may wait for its next request.
    pub header_timeout: Duration,
    /// Connections one client address may hold open at once; 0: no limit.
    pub per_address: u32,
}

/// How many connections each address holds; an entry goes when its last connection does.
#[derive(Default)]
struct OpenConnections(Mutex<HashMap<IpAddr, u32>>);

/// One connection's place in [`OpenConnections`], given back when dropped.
struct Slot {
    open: Arc<OpenConnections>,
    address: IpAddr,
}

impl OpenConnections {
    fn take(self: &Arc<Self>, address: IpAddr, limit: u32) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        if limit > 0 && *count >= limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            open: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` resolves, then lets requests
/// in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: impl std::future::Future<Output = ()>,
) {
    let open = Arc::new(OpenConnections::default());
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: connections close in the meantime.
                    tracing::warn!(error = %e, "accept failed; accepting again shortly");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Answers go out in several writes (headers, then a streamed body); without this the
        // body waits for the client's delayed ACK, 40 ms per small GET.
        let _ = stream.set_nodelay(true);
        let Some(slot) = open.take(peer.ip(), limits.per_address) else {
            tracing::info!(address = %peer.ip(), "connection refused: too many from one address");
            continue;
        };
        let secure = tls.is_some();
        let service = app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                let extensions = request.extensions_mut();
                extensions.insert(ConnectInfo::<SocketAddr>(peer));
                extensions.insert(Transport { secure });
                request
            },
        );
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let header_timeout = limits.header_timeout;
        let tls = tls.clone();
        tokio::spawn(async move {
            // hyper reads the first bytes to tell HTTP/1 from HTTP/2 without a timeout of its
            // own; a client that sends nothing is closed here.
            let mut first = [0u8; 1];
            if tokio::time::timeout(header_timeout, stream.peek(&mut first))
                .await
                .is_err()
            {
                drop(slot);
                return;
            }
            let service = TowerToHyperService::new(service);
            let ended = match tls {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
                // The handshake is held to the header timeout too.
                Some(acceptor) => {
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let connection = builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service);
                            watcher.watch(connection.into_owned()).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => Ok(()),
                    }
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
