//! Serving connections: HTTP/1 with a header read timeout (a client that opens a
//! connection and dribbles its request line is cut off, as are idle keep-alive
//! connections), a deadline for receiving a request's body, and a graceful
//! shutdown that lets requests in flight finish. `axum::serve` has neither timeout.

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request (or the end of the previous one) to its last header.
    pub header: Duration,
    /// From the request's head to the last byte of its body.
    pub body: Duration,
}

/// Accepts connections until `shutdown` resolves, then lets every open connection
/// finish its request in flight and returns.
pub async fn serve_connections(listener: TcpListener, router: Router, timeouts: Timeouts, shutdown: impl Future<Output = ()>) {
    // Dropping `stop` tells connections to finish; each holds a `done` receiver,
    // and `done_tx.closed()` resolves when the last of them is gone.
    let (stop, stop_rx) = tokio::sync::watch::channel(());
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop_rx = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(remote));
                let req = req.map(|body| axum::body::Body::new(TimeoutBody::new(body, timeouts.body)));
                router.clone().oneshot(req)
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(timeouts.header);
            let mut conn = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
            let finished = tokio::select! {
                result = conn.as_mut() => Some(result),
                _ = stop_rx.changed() => None,
            };
            let result = match finished {
                Some(result) => result,
                None => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, client = %remote, "connection ended with an error");
            }
            drop(done);
        });
    }
    drop(listener);
    drop(stop);
    drop(done_rx);
    done_tx.closed().await;
}

/// The body did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("request body timed out: not received within {0:?}")]
pub struct BodyTimedOut(Duration);

/// A request body that fails with [`BodyTimedOut`] once `timeout` has passed
/// since the request's head arrived. The timer is only set if the body is not
/// already complete when first read.
pub struct TimeoutBody<B> {
    inner: B,
    started: Instant,
    timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<B> TimeoutBody<B> {
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self { inner, started: Instant::now(), timeout, deadline: None }
    }
}

impl<B> Body for TimeoutBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let (started, timeout) = (this.started, this.timeout);
        let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(started + timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
