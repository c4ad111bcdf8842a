//! The accept loop: the router on hyper's HTTP/1 connections with what
//! `axum::serve` leaves unset, time limits on reading a request (a client
//! that trickles its headers or its body would otherwise hold a connection
//! and its task as long as it likes), and a graceful stop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::timeout::{TimeoutBody, TimeoutLayer};

/// How a server reads requests and stops.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a request's headers, and to send
    /// each next part of its body.
    pub read_timeout: Duration,
    /// How long a request may take from its headers to its answer's first
    /// byte, its body's reading included (a body sent a byte at a time, each
    /// within the read timeout, is cut off here).
    pub request_timeout: Duration,
    /// How long the requests in flight may run on once the server stops.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish for up to the grace period.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let router = router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, usually: wait for some to close.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router
            .clone()
            .map_request(with_peer(peer, limits.read_timeout));
        // No route upgrades its connection (no WebSockets), so none is kept open for one.
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, %peer, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    // A slow listener streaming a preview, or a client that opened a
    // connection and never sent its request, would otherwise hold the
    // process (and a deployment's restart) for as long as it likes.
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?limits.shutdown_grace,
            "requests still in flight after the grace period: stopping without them"
        );
    }
    Ok(())
}

/// A request from `peer` as the router takes it: the client's address (it
/// feeds the rate limits) and a body that fails when the client pauses for
/// longer than `read_timeout`.
fn with_peer(
    peer: SocketAddr,
    read_timeout: Duration,
) -> impl Fn(axum::http::Request<Incoming>) -> axum::http::Request<Body> + Clone {
    move |request| {
        let mut request = request.map(|body| Body::new(TimeoutBody::new(read_timeout, body)));
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }
}
