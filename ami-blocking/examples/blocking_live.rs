//! A small queue wallboard on the blocking live model: prints the queues,
//! their free members and waiting callers each time a queue changes, N
//! times (default 10).
//!
//! ```text
//! cargo run -p ami-blocking --example blocking_live -- [URL] [N]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use std::time::Duration;

use ami_blocking::ami_live::Key;
use ami_blocking::{Client, Live};

/// The wallboard: one line per queue, then its callers.
fn wallboard(state: &ami_live::State) -> String {
    let mut out = String::new();
    for q in state.queues() {
        let free = q
            .members
            .values()
            .filter(|m| !m.in_call && !m.paused)
            .count();
        out += &format!(
            "{:<10} {} waiting  {}/{} free  {} completed  {} abandoned\n",
            q.name,
            q.callers.len(),
            free,
            q.members.len(),
            q.completed,
            q.abandoned
        );
        for c in &q.callers {
            out += &format!("    {}. {}\n", c.position, c.channel);
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let mut live = Live::start(Client::connect(&url)?)?;
    if !live.missing_events().is_empty() {
        eprintln!(
            "warning: no {:?} events: the board only shows syncs",
            live.missing_events()
        );
    }
    print!("{}", wallboard(live.state()));
    let mut shown = 0;
    while shown < count {
        let Some(c) = live.poll(Duration::from_secs(30))? else {
            break;
        };
        if matches!(
            c.key(),
            Some(Key::Queue(_) | Key::Caller(..) | Key::Member(..))
        ) {
            println!("-- {}", c.name());
            print!("{}", wallboard(live.state()));
            shown += 1;
        }
    }
    live.into_client().disconnect()?;
    Ok(())
}
