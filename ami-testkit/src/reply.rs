//! What an action handler answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ami_proto::{Message, ServerMessage};

use crate::wire;

/// The answer of a handler registered with
/// [`Server::on_action`](crate::Server::on_action).
///
/// A handler returns a `Reply`, a [`ServerMessage`] or a
/// `Vec<ServerMessage>`. Build responses with [`Reply::success`] /
/// [`Reply::error`] (which echo the ActionID as Asterisk does) or with
/// [`ServerMessage::response_to`].
///
/// ```
/// use ami_proto::ServerMessage;
/// use ami_testkit::{Reply, Server};
/// use std::time::Duration;
///
/// let server = Server::start();
/// server.on_action("QueuePause", |action| {
///     Reply::success(action, "Interface paused successfully")
/// });
/// server.on_action("Reload", |action| {
///     // Answer later, as a slow Asterisk would (this session waits).
///     Reply::from(ServerMessage::response_to(action, "Success").header("Message", "Module Reloaded."))
///         .after(Duration::from_millis(10))
/// });
/// server.on_action("Hangup", |_| Reply::nothing()); // lose the answer
/// server.on_action("Ping", |_| Reply::builtin()); // observe only
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    pub(crate) body: Body,
    pub(crate) delay: Duration,
    pub(crate) close: bool,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Body {
    Messages(Vec<ServerMessage>),
    Raw(Vec<u8>),
    Nothing,
    Builtin,
}

impl Reply {
    fn with(body: Body) -> Self {
        Self {
            body,
            delay: Duration::ZERO,
            close: false,
        }
    }

    /// Sends these messages, in order.
    #[must_use]
    pub fn messages(messages: impl IntoIterator<Item = ServerMessage>) -> Self {
        Self::with(Body::Messages(messages.into_iter().collect()))
    }

    /// Sends these bytes as they are (shapes the encoder would refuse:
    /// a legacy answer, a broken message).
    #[must_use]
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self::with(Body::Raw(bytes.into()))
    }

    /// Answers nothing: the client waits (tests action timeouts).
    #[must_use]
    pub fn nothing() -> Self {
        Self::with(Body::Nothing)
    }

    /// Lets the built-in behaviour answer: for a handler that only looks.
    #[must_use]
    pub fn builtin() -> Self {
        Self::with(Body::Builtin)
    }

    /// `Response: Success` + `Message: <text>`, with the action's ActionID.
    #[must_use]
    pub fn success(action: &Message, text: &str) -> Self {
        wire::ack(action, text).into()
    }

    /// `Response: Error` + `Message: <text>`, with the action's ActionID.
    #[must_use]
    pub fn error(action: &Message, text: &str) -> Self {
        wire::error(action, text).into()
    }

    /// Answers after `delay`. Like Asterisk, the session handles nothing
    /// else meanwhile; events pushed meanwhile still go out.
    #[must_use]
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Closes the connection after the answer.
    #[must_use]
    pub fn then_close(mut self) -> Self {
        self.close = true;
        self
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body: &dyn fmt::Debug = match &self.body {
            Body::Messages(m) => m,
            Body::Raw(r) => r,
            Body::Nothing => &"nothing",
            Body::Builtin => &"builtin",
        };
        f.debug_struct("Reply")
            .field("body", body)
            .field("delay", &self.delay)
            .field("close", &self.close)
            .finish()
    }
}

impl From<ServerMessage> for Reply {
    fn from(message: ServerMessage) -> Self {
        Self::messages([message])
    }
}

impl From<Vec<ServerMessage>> for Reply {
    fn from(messages: Vec<ServerMessage>) -> Self {
        Self::messages(messages)
    }
}

/// A registered action handler.
pub(crate) type Handler = Arc<dyn Fn(&Message) -> Reply + Send + Sync>;

/// Wraps a user closure into a [`Handler`].
pub(crate) fn handler<R, F>(f: F) -> Handler
where
    R: Into<Reply>,
    F: Fn(&Message) -> R + Send + Sync + 'static,
{
    Arc::new(move |action| f(action).into())
}
