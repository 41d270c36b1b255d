//! smol's side of the shared driver (`ami_client::driver`): async-io's
//! clock, sockets and timers; the driver runs on a thread of its own under
//! `async_io::block_on`, so that it needs no particular executor.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ami_client::ClientOptions;
use ami_client::driver::{self, BoxFuture, Runtime};

use crate::stream::{self, Stream};
use crate::{Client, Result};

/// async-io as the shared driver's runtime.
pub(crate) struct Smol;

/// async-io's timer, moved to each deadline.
pub(crate) struct Timer(async_io::Timer);

impl driver::Timer for Timer {
    fn set_at(&mut self, at: Instant) {
        self.0.set_at(at);
    }

    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        std::future::Future::poll(Pin::new(&mut self.0), cx).map(drop)
    }
}

impl Runtime for Smol {
    type Stream = Stream;
    type Timer = Timer;

    fn now() -> Instant {
        Instant::now()
    }

    fn connect(options: &ClientOptions) -> BoxFuture<'_, Result<Stream>> {
        Box::pin(stream::open(options))
    }

    fn timer() -> Timer {
        Timer(async_io::Timer::never())
    }

    fn yield_now() -> BoxFuture<'static, ()> {
        // The driver has a thread of its own: nothing shares it.
        Box::pin(std::future::ready(()))
    }
}

/// Connects, logs in and starts the driver thread.
pub(crate) async fn start(options: ClientOptions) -> Result<Client> {
    let (handle, driver) = driver::connect::<Smol>(options).await?;
    std::thread::Builder::new()
        .name("ami-smol-driver".into())
        .spawn(move || async_io::block_on(driver))?;
    Ok(Client { handle })
}
