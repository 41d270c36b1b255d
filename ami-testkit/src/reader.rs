//! A session's reader thread: reads and frames the client's input and
//! answers each request — from the replay, a test's handler, or the
//! built-in actions — as Asterisk orders those checks.

use std::sync::Arc;

use ami_proto::{DecodeErrorKind, Limits, Message, MessageKind, ServerMessage};

use crate::actions;
use crate::ctx::Ctx;
use crate::framer::{Frame, Framer};
use crate::replay::{self, Cursor};
use crate::reply::Body;
use crate::session::Session;
use crate::shared::Shared;
use crate::sync::lock;
use crate::wire;

/// The reader thread: reads, frames and answers until the client leaves.
pub(crate) fn run(shared: &Arc<Shared>, session: &Arc<Session>) {
    let limits = Limits {
        // Asterisk keeps 1024 bytes of a line, its CRLF included.
        max_line_len: ami_proto::MAX_ACTION_LINE - 2,
        ..Limits::default()
    };
    let mut framer = Framer::new(limits);
    let mut ctx = Ctx {
        shared,
        session,
        replay: shared.settings.replay.clone().map(Cursor::new),
        closing: false,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match session.transport.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if ctx.closing || session.is_closed() || shared.is_shutdown() {
            // Closed: drain the socket until the client closes too, so
            // that the close is a FIN rather than a reset.
            continue;
        }
        framer.feed(&buf[..n]);
        while let Some(frame) = framer.next_frame() {
            // A panicking handler ends its session, not the test's wait.
            let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                answer_frame(&mut ctx, frame)
            }));
            if handled.is_err() {
                ctx.closing = true;
                session.mark_closed();
                session.transport.abort();
            }
            if ctx.closing {
                break;
            }
        }
    }
    session.mark_closed();
    // The client left (or broke the stream): close our side too.
    session.transport.abort();
    shared.notify();
}

/// Answers one frame of input.
fn answer_frame(ctx: &mut Ctx<'_>, frame: Frame) {
    match frame {
        Frame::Banner(_) => {}
        Frame::Empty(_) => request(ctx, None),
        Frame::Message(message) => {
            ctx.shared.record(message.clone());
            request(ctx, Some(&message));
        }
        Frame::Error(error) => {
            let text = match error.kind() {
                DecodeErrorKind::LineTooLong => "Failed to parse message: line too long",
                _ => "Failed to parse message",
            };
            let mut response = ServerMessage::response("Error");
            if let Some(id) = error.action_id().filter(|id| !id.is_empty()) {
                response = response.header("ActionID", id);
            }
            ctx.send(&[response.header("Message", text)]);
        }
    }
}

/// Answers one request: a message, or a lone empty line (`None`).
fn request(ctx: &mut Ctx<'_>, message: Option<&Message>) {
    if let Some(answer) = ctx.replay.as_mut().and_then(|r| r.answer(message)) {
        let closes = answer.closes;
        match answer.login {
            replay::Login::Accepted => {
                let filter = ctx.login_filter(message);
                let bytes = answer.bytes;
                ctx.logged_in(filter, || ctx.session.send(bytes));
            }
            replay::Login::Refused | replay::Login::Unchanged => {
                ctx.session.send(answer.bytes);
            }
        }
        if closes {
            ctx.close();
        }
        return;
    }
    let Some(action) = message else {
        // Asterisk answers an empty message; it has no ActionID.
        ctx.send(
            &[ServerMessage::response("Error").header("Message", "Missing action in request")],
        );
        return;
    };
    let Some(name) = replay::action_name(action) else {
        ctx.send(&[wire::error(action, "Missing action in request")]);
        return;
    };
    let exempt = matches!(name.as_str(), "login" | "challenge" | "logoff");
    if !exempt && !lock(&ctx.session.status).logged_in {
        ctx.send(&[wire::error(action, "Permission denied")]);
        return;
    }
    if let Some(handler) = ctx.shared.handler(&name) {
        let reply = handler(action);
        if reply.body != Body::Builtin {
            if !reply.delay.is_zero() {
                ctx.sleep(reply.delay);
            }
            match &reply.body {
                Body::Messages(messages) => {
                    let accepted = messages
                        .first()
                        .and_then(wire::decode_server_message)
                        .is_some_and(|m| {
                            m.kind() == MessageKind::Response
                                && m.name().is_some_and(|n| n.eq_ignore_ascii_case("Success"))
                        });
                    if name == "login" && accepted && !lock(&ctx.session.status).logged_in {
                        let filter = ctx.login_filter(Some(action));
                        ctx.logged_in(filter, || ctx.send(messages));
                    } else {
                        ctx.send(messages);
                    }
                }
                Body::Raw(bytes) => ctx.session.send(bytes.clone()),
                Body::Nothing | Body::Builtin => {}
            }
            if reply.close {
                ctx.close();
            }
            return;
        }
    }
    actions::builtin(ctx, &name, action);
}
