//! A small queue wallboard on the live model: prints the queues, their
//! free members and waiting callers each time a queue changes, N times
//! (default 10).
//!
//! ```text
//! cargo run -p ami-smol --example smol_live -- [URL] [N]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use std::time::Duration;

use ami_smol::ami_live::Key;
use ami_smol::{Client, Update};

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
    smol::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let client = Client::connect(&url).await?;
    let live = client.live()?;
    if !live.missing_events().is_empty() {
        eprintln!(
            "warning: no {:?} events: the board only shows syncs",
            live.missing_events()
        );
    }
    let mut changes = live.changes();
    live.wait_for(|s| s.is_synced(), Duration::from_secs(10))
        .await?;
    print!("{}", live.with_state(wallboard));
    let mut shown = 0;
    while shown < count {
        match changes.recv().await {
            Some(Update::Change(c)) => {
                if matches!(
                    c.key(),
                    Some(Key::Queue(_) | Key::Caller(..) | Key::Member(..))
                ) {
                    println!("-- {}", c.name());
                    print!("{}", live.with_state(wallboard));
                    shown += 1;
                }
            }
            Some(Update::Lost(n)) => println!("-- {n} changes missed; the board is current"),
            Some(other) => println!("-- {other:?}"),
            None => break,
        }
    }
    client.close().await;
    Ok(())
}
