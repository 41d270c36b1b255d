//! Tokio's side of the shared driver (`ami_client::driver`): Tokio's clock
//! (virtual when paused), sockets and timers; the driver is a spawned task,
//! and it yields once per read that published events so that subscribers
//! on the same thread keep up.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ami_client::ClientOptions;
use ami_client::driver::{self, BoxFuture, Runtime};

use crate::stream::{self, Stream};
use crate::{Client, Result};

/// Tokio as the shared driver's runtime.
pub(crate) struct Tokio;

/// Tokio's sleep, reset to each deadline.
pub(crate) struct Timer(Pin<Box<tokio::time::Sleep>>);

impl driver::Timer for Timer {
    fn set_at(&mut self, at: Instant) {
        self.0.as_mut().reset(tokio::time::Instant::from_std(at));
    }

    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Runtime for Tokio {
    type Stream = Stream;
    type Timer = Timer;

    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn connect(options: &ClientOptions) -> BoxFuture<'_, Result<Stream>> {
        Box::pin(stream::open(options))
    }

    fn timer() -> Timer {
        // Far off until set: fires only once a deadline is set.
        Timer(Box::pin(tokio::time::sleep(
            std::time::Duration::from_secs(86_400 * 365),
        )))
    }

    fn yield_now() -> BoxFuture<'static, ()> {
        Box::pin(tokio::task::yield_now())
    }
}

/// Connects, logs in and spawns the driver.
pub(crate) async fn start(options: ClientOptions) -> Result<Client> {
    let (handle, driver) = driver::connect::<Tokio>(options).await?;
    tokio::spawn(driver);
    Ok(Client { handle })
}
