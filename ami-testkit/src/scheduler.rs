//! Timed work of the server (async Originate outcomes, the busy PBX's
//! ticks) run by one thread.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A task run on the scheduler thread.
pub(crate) type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    order: BinaryHeap<Reverse<(Instant, u64)>>,
    tasks: BTreeMap<u64, Task>,
    next: u64,
    stopped: bool,
}

/// A timer queue served by [`Scheduler::run`] on one thread.
#[derive(Default)]
pub(crate) struct Scheduler {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

impl Scheduler {
    /// Runs `task` after `delay`.
    pub(crate) fn after(&self, delay: Duration, task: Task) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.stopped {
            return;
        }
        let id = q.next;
        q.next += 1;
        q.order.push(Reverse((Instant::now() + delay, id)));
        q.tasks.insert(id, task);
        self.wake.notify_all();
    }

    /// Stops [`run`](Self::run) and drops pending tasks.
    pub(crate) fn stop(&self) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.stopped = true;
        q.tasks.clear();
        q.order.clear();
        self.wake.notify_all();
    }

    /// Serves the queue until [`stop`](Self::stop).
    pub(crate) fn run(&self) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if q.stopped {
                return;
            }
            let now = Instant::now();
            match q.order.peek().copied() {
                Some(Reverse((at, id))) if at <= now => {
                    q.order.pop();
                    if let Some(task) = q.tasks.remove(&id) {
                        drop(q);
                        task();
                        q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                    }
                }
                Some(Reverse((at, _))) => {
                    q = self
                        .wake
                        .wait_timeout(q, at - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                None => q = self.wake.wait(q).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }
}
