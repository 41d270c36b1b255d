//! What is fixed when a server starts: the Asterisk it plays
//! ([`Personality`], public) and the rest of the builder's settings.

use std::sync::Arc;
use std::time::Duration;

use ami_proto::EventMask;

use crate::replay::Replay;

/// Which Asterisk the server plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Personality {
    /// Asterisk 22: banner `Asterisk Call Manager/11.0.0`, `Command`
    /// answered with `Output:` lines.
    #[default]
    Asterisk22,
    /// Asterisk 13: banner `Asterisk Call Manager/2.10.6`, `Command`
    /// answered `Response: Follows` … `--END COMMAND--`.
    Asterisk13,
}

impl Personality {
    /// The AMI version in the banner: `11.0.0` or `2.10.6`.
    #[must_use]
    pub fn ami_version(self) -> &'static str {
        match self {
            Self::Asterisk22 => "11.0.0",
            Self::Asterisk13 => "2.10.6",
        }
    }

    /// What `core show version` says.
    #[must_use]
    pub fn version_line(self) -> &'static str {
        match self {
            Self::Asterisk22 => {
                "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 20:58:54 UTC"
            }
            Self::Asterisk13 => {
                "Asterisk 13.38.3 built by root @ build on a x86_64 running Linux on 2021-06-01 10:00:00 UTC"
            }
        }
    }
}

/// Server settings fixed at start.
pub(crate) struct Settings {
    pub(crate) personality: Personality,
    pub(crate) users: Vec<(String, String)>,
    pub(crate) events_default: EventMask,
    pub(crate) originate_delay: Duration,
    pub(crate) failed_login_delay: Duration,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) busy_pbx: bool,
    pub(crate) replay: Option<Arc<Replay>>,
    pub(crate) greeting: Option<Vec<u8>>,
    #[cfg(feature = "tls")]
    pub(crate) tls: bool,
}
