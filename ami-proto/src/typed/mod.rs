//! Typed actions and events, generated from Asterisk 22's own AMI docs
//! (feature `typed`).
//!
//! * [`actions`]: a builder for each of the 154 documented actions.
//!   Required parameters are the arguments of `new` (never `ActionID`: the
//!   [`Connection`](crate::Connection) assigns it), optional ones are
//!   methods, parameters whose docs list values take an enum with an
//!   `Other(String)` escape hatch, repeatable ones (`Variable`) add a header
//!   per call, numbered ones (`Action-000000`) take the number. Setting any
//!   other parameter again replaces its value in place. Headers go out in
//!   the order they were set, the required ones first. A builder
//!   turns into an [`Action`] with `into()` or `into_action()`, for
//!   [`Connection::send_action`](crate::Connection::send_action); `header`
//!   adds anything the docs do not list.
//! * [`events`]: a view for each of the 181 documented events, and
//!   [`Event`], which types a decoded [`Message`](crate::Message) by its
//!   name (ASCII case ignored) or leaves it [`Event::Unknown`]. A view
//!   borrows the message: each documented header is an accessor, nothing is
//!   copied, and [`raw`](events::Hangup::raw) reaches every header,
//!   documented or not. Headers the docs type (enumerations, integers,
//!   booleans, times, durations, the hangup cause) parse:
//!   `Result<Option<T>, FieldError>`, with a `…_raw` accessor beside for the
//!   bytes as sent (see [`field`]); the others return the raw
//!   [`Value`](crate::Value).
//! * [`values`]: the enumerations of header values the docs list.
//!
//! The docs leave things out, and raw access covers them: the `Privilege`
//! header every event carries, the `ActionID`, `EventList` and `ListItems`
//! of most list events, the headers a `UserEvent` chooses, and whole list
//! events Asterisk sends undocumented (`QueueMember`, `QueueStatusComplete`,
//! `DBGetResponse`, `DBGetComplete`, …), which stay [`Event::Unknown`].
//!
//! Names follow the wire: structs keep the action or event name
//! (`PJSIPShowEndpoint`, `DBGet`; all-capital names are capitalised words:
//! `AOC-D` → `AocD`, `AGI` → `Agi`), methods are the snake case of the header
//! (`CallerIDNum` → `caller_id_num`, `Cause-txt` → `cause_txt`), keywords are
//! raw identifiers (`r#async`, `r#type`). Actions and events share names
//! (`Hangup`, `Status`, `UserEvent`), hence the two modules.
//!
//! The code is generated from `schema/ami-asterisk-22.json` (Asterisk
//! 22.10.1) and checked in; `cargo run -p ami-codegen` regenerates it and
//! `cargo run -p ami-codegen -- --check` fails when it is stale.
//!
//! # Originate, then its `OriginateResponse`
//!
//! An async Originate answers at once ("successfully queued"); the call's
//! fate comes later in an `OriginateResponse` event. With
//! [`SendOptions::originate_response`](crate::SendOptions::originate_response)
//! the action completes on that event, which [`Event::from_message`] types:
//!
//! ```
//! use std::time::Instant;
//! use ami_proto::typed::{Event, actions::Originate, values::OriginateResult};
//! use ami_proto::{Config, Connection, SendOptions};
//!
//! let t0 = Instant::now();
//! let config = Config { action_id_prefix: Some("doc".into()), ..Config::default() };
//! let mut conn = Connection::new(config, t0);
//! conn.handle_input(t0, b"Asterisk Call Manager/11.0.0\r\n");
//!
//! let originate = Originate::new("Local/100@default")
//!     .context("default")
//!     .exten("200")
//!     .priority("1")
//!     .caller_id("Doc <100>")
//!     .variable("TAG=doc")
//!     .variable("RETRIES=0")
//!     .r#async("true");
//! let handle = conn.send_action_with(originate.into(), SendOptions::originate_response(), t0);
//!
//! let mut out = Vec::new();
//! let _ = conn.poll_transmit(&mut out);
//! assert_eq!(
//!     out,
//!     b"Action: Originate\r\nActionID: doc-1\r\nChannel: Local/100@default\r\n\
//!       Context: default\r\nExten: 200\r\nPriority: 1\r\nCallerID: Doc <100>\r\n\
//!       Variable: TAG=doc\r\nVariable: RETRIES=0\r\nAsync: true\r\n\r\n"
//! );
//!
//! conn.handle_input(t0, b"Response: Success\r\nActionID: doc-1\r\n\
//!                         Message: Originate successfully queued\r\n\r\n");
//! conn.handle_input(t0, b"Event: OriginateResponse\r\nPrivilege: call,all\r\n\
//!                         ActionID: doc-1\r\nResponse: Success\r\n\
//!                         Channel: Local/100@default-00000000;1\r\nContext: default\r\n\
//!                         Exten: 200\r\nReason: 4\r\nUniqueid: 1700000000.0\r\n\
//!                         CallerIDNum: 100\r\nCallerIDName: Doc\r\n\r\n");
//!
//! let mut answered = false;
//! while let Some(event) = conn.poll_event() {
//!     if let ami_proto::Event::ActionCompleted { handle: h, outcome } = event {
//!         assert_eq!(h, handle);
//!         let response = outcome.expect("the call was answered");
//!         let completion = response.completion().expect("an OriginateResponse");
//!         let Event::OriginateResponse(r) = Event::from_message(completion) else {
//!             panic!("not an OriginateResponse");
//!         };
//!         assert_eq!(r.response(), Ok(Some(OriginateResult::Success)));
//!         assert_eq!(r.reason().unwrap(), "4"); // answered
//!         assert_eq!(r.channel().unwrap(), "Local/100@default-00000000;1");
//!         assert_eq!(r.action_id().unwrap(), "doc-1");
//!         answered = true;
//!     }
//! }
//! assert!(answered);
//! ```
//!
//! # A Hangup handler
//!
//! Match on [`Event`]; the documented headers are accessors, the others are
//! one [`raw`](events::Hangup::raw) away:
//!
//! ```
//! use ami_proto::typed::Event;
//! use ami_proto::{Decoded, Decoder, Message};
//!
//! fn on_message(msg: &Message) -> Option<String> {
//!     match Event::from_message(msg) {
//!         Event::Hangup(h) => Some(format!(
//!             "{} hung up: cause {} ({})",
//!             h.channel()?,
//!             h.cause().ok()??.code(),
//!             h.cause_txt()?,
//!         )),
//!         // `Foo` is the dialplan's own header: not documented, still there.
//!         Event::UserEvent(u) => Some(format!("{}: Foo={}", u.user_event()?, u.raw().get("Foo")?)),
//!         Event::Unknown(raw) => Some(format!("untyped: {}", raw.name()?)),
//!         _ => None,
//!     }
//! }
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\
//!                Uniqueid: 1622541600.1\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n\
//!                Event: UserEvent\r\nUserEvent: MyEvent\r\nFoo: bar\r\n\r\n\
//!                Event: QueueMember\r\nQueue: support\r\n\r\n");
//! let mut lines = Vec::new();
//! while let Some(Decoded::Message(msg)) = decoder.decode() {
//!     lines.extend(on_message(&msg));
//! }
//! assert_eq!(
//!     lines,
//!     [
//!         "PJSIP/100-00000001 hung up: cause 16 (Normal Clearing)",
//!         "MyEvent: Foo=bar",
//!         "untyped: QueueMember",
//!     ]
//! );
//! ```

use crate::Action;

/// Sets header `name` of `action` to `value`: in place of the first header
/// of that name (ASCII case ignored) when there is one, else at the end.
fn set_header(action: Action, name: &str, value: &[u8]) -> Action {
    if action.get(name).is_none() {
        return action.header(name, value);
    }
    let mut out = Action::new(action.name());
    if let Some(id) = action.get_action_id() {
        out.set_action_id(id);
    }
    let mut replaced = false;
    for (key, old) in action.headers() {
        if !replaced && key.eq_ignore_ascii_case(name.as_bytes()) {
            out.push_header(key, value);
            replaced = true;
        } else {
            out.push_header(key, old);
        }
    }
    out
}

/// What every generated action builder has besides its parameters.
macro_rules! action_common {
    ($name:ident) => {
        impl $name {
            /// Adds a header, builder style: one the docs do not list, or one
            /// more of any name. `ActionID` sets the action's id instead.
            pub fn header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
                self.inner.push_header(name, value);
                self
            }

            /// The [`Action`](crate::Action), ready for
            /// [`Connection::send_action`](crate::Connection::send_action).
            #[must_use]
            #[inline]
            pub fn into_action(self) -> crate::Action {
                self.inner
            }

            /// The action as built so far.
            #[must_use]
            #[inline]
            pub fn as_action(&self) -> &crate::Action {
                &self.inner
            }
        }

        impl From<$name> for crate::Action {
            #[inline]
            fn from(action: $name) -> Self {
                action.inner
            }
        }
    };
}
use action_common;

/// What every generated event view has besides its accessors.
macro_rules! event_common {
    ($name:ident) => {
        impl<'a> $name<'a> {
            /// Views `msg` as this event if it is one (first header `Event`)
            /// of this name, ASCII case ignored.
            #[must_use]
            #[inline]
            pub fn from_message(msg: &'a Message) -> Option<Self> {
                (msg.kind() == MessageKind::Event
                    && msg
                        .name()
                        .is_some_and(|n| n.eq_ignore_ascii_case(Self::NAME)))
                .then_some(Self(msg))
            }

            /// The raw message: every header, documented or not.
            #[must_use]
            #[inline]
            pub fn raw(&self) -> &'a Message {
                self.0
            }

            /// Every header in wire order, each documented typed one parsed
            /// (see [`Event::typed_fields`]).
            pub fn typed_fields(
                &self,
            ) -> impl Iterator<
                Item = (
                    Value<'a>,
                    Result<super::field::FieldValue<'a>, super::field::FieldError>,
                ),
            > + 'a {
                super::field::typed_headers(self.0, Self::KINDS)
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name<'_> {
            /// As its [`Event`](super::Event) (see the crate's `serde` notes).
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                Event::from(*self).serialize(serializer)
            }
        }

        impl AsRef<Message> for $name<'_> {
            #[inline]
            fn as_ref(&self) -> &Message {
                self.0
            }
        }

        impl<'a> From<$name<'a>> for Event<'a> {
            #[inline]
            fn from(event: $name<'a>) -> Self {
                Event::$name(event)
            }
        }
    };
}
use event_common;

pub mod actions;
pub mod events;
pub mod field;
pub mod values;

pub use events::Event;

impl<'a> Event<'a> {
    /// Every header of the event in wire order, each documented typed one
    /// parsed by its type (the envelope's `Timestamp` too), the others
    /// [`FieldValue::Text`](field::FieldValue::Text). A value that does not
    /// parse is an `Err` for that header alone.
    pub fn typed_fields(
        &self,
    ) -> impl Iterator<
        Item = (
            crate::Value<'a>,
            Result<field::FieldValue<'a>, field::FieldError>,
        ),
    > + 'a {
        field::typed_headers(self.raw(), self.kinds())
    }

    /// The envelope's `Timestamp` header (manager.conf `timestampevents`),
    /// parsed.
    pub fn timestamp(&self) -> Result<Option<field::Timestamp>, field::FieldError> {
        field::get(self.raw(), "Timestamp", field::Kind::Timestamp)
    }
}
