//! The async adapters' event fan-out: a bounded, runtime-neutral broadcast
//! from one driver to any number of subscribers, built for floods.
//!
//! * **Bounded.** The shared buffer holds at most `capacity` items; when
//!   it is full the oldest is dropped, and every subscriber that had not
//!   read it is told with [`Incoming::Lost`] (before the items that follow
//!   it). The driver never waits for a subscriber.
//! * **Nothing kept that every subscriber has read.** An item leaves the
//!   buffer as soon as the last subscriber takes it (and with a single
//!   subscriber it is moved out, never cloned), so messages do not pin the
//!   decoder's buffers once they are consumed, and memory follows what is
//!   unread, not the capacity: the buffer grows as items pile up, and gives
//!   back a large allocation once it has been read empty.
//! * **Batches.** [`Publisher::publish_all`] takes the lock and wakes each
//!   waiting subscriber once per batch (one socket read's worth of events),
//!   and a subscriber takes up to [`BATCH`] items per lock into a small
//!   buffer of its own, so the per-event cost is a move, not a lock and a
//!   wake-up.
//! * **Runtime-neutral.** Subscribers are polled with a
//!   [`Context`](std::task::Context) and woken through its
//!   [`Waker`](std::task::Waker); a poll either hands out an item or
//!   registers the waker, so dropping a pending `recv` future loses nothing.
//!
//! ```
//! use ami_client::Incoming;
//! use ami_client::adapter::Publisher;
//!
//! let publisher = Publisher::new(2);
//! let mut first = publisher.subscribe();
//! for _ in 0..3 {
//!     publisher.publish(Incoming::Reconnected);
//! }
//! // The oldest of the three did not fit: counted, then the other two.
//! assert_eq!(first.try_recv(), Some(Incoming::Lost(1)));
//! assert_eq!(first.try_recv(), Some(Incoming::Reconnected));
//! assert_eq!(first.try_recv(), Some(Incoming::Reconnected));
//! assert_eq!(first.try_recv(), None);
//! drop(publisher); // closes: subscribers end once they have read the rest
//! assert!(first.is_finished());
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::options::{Incoming, Overflow};

/// The most items a subscriber takes from the shared buffer per lock. They
/// wait in the subscriber's own buffer, so a subscriber may hold up to this
/// many items beyond the capacity.
pub const BATCH: usize = 128;

/// Once read empty, a buffer that grew beyond this many slots shrinks…
const SHRINK_ABOVE: usize = 64 * BATCH;
/// …to this many.
const SHRINK_TO: usize = 8 * BATCH;

/// What one buffered item counts against the byte bound beyond its
/// message's bytes: the slot and the message's own fields.
const SLOT_COST: usize = 64;

/// The bytes `item` counts against the byte bound.
fn cost(item: &Incoming) -> usize {
    match item {
        Incoming::Event(message) => event_cost(message),
        _ => SLOT_COST,
    }
}

/// The bytes an event counts against an event buffer's byte bound
/// ([`ClientOptions::event_buffer_bytes`](crate::ClientOptions::event_buffer_bytes)):
/// its wire bytes and the buffer's own share, the same in every client.
///
/// ```
/// use ami_proto::{Decoded, Decoder};
/// let mut decoder = Decoder::new();
/// decoder.feed(b"Event: X\r\n\r\n");
/// let Some(Decoded::Message(event)) = decoder.decode() else { panic!() };
/// assert_eq!(ami_client::adapter::event_cost(&event), 12 + 64);
/// ```
#[must_use]
pub fn event_cost(event: &ami_proto::Message) -> usize {
    SLOT_COST + event.as_bytes().len()
}

/// One buffered item and how many subscribers have yet to read it.
struct Slot {
    item: Incoming,
    unread: usize,
    cost: usize,
}

/// A subscriber's place: the sequence number of the next item it reads,
/// and its waker while it waits.
struct Cursor {
    next: u64,
    waker: Option<Waker>,
}

struct State {
    /// The items some subscriber has not read, oldest first; `queue[i]` has
    /// sequence number `head + i`. A slot's `unread` never decreases
    /// towards the back (every subscriber that has not read an item has not
    /// read the ones after it either), so read slots are always a prefix,
    /// and are popped at once.
    queue: VecDeque<Slot>,
    head: u64,
    capacity: usize,
    /// The byte bound, and the bytes the queued items count.
    max_bytes: usize,
    bytes: usize,
    overflow: Overflow,
    /// The driver, waiting for room (backpressure).
    room: Option<Waker>,
    /// Subscribers by id (`None`: a free id).
    cursors: Vec<Option<Cursor>>,
    live: usize,
    closed: bool,
}

impl State {
    fn tail(&self) -> u64 {
        self.head + self.queue.len() as u64
    }

    fn pop_front(&mut self) -> Option<Slot> {
        let slot = self.queue.pop_front()?;
        self.head += 1;
        self.bytes -= slot.cost;
        Some(slot)
    }

    /// Pops the slots every subscriber has read.
    fn pop_read(&mut self) {
        while self.queue.front().is_some_and(|s| s.unread == 0) {
            self.pop_front();
        }
    }

    fn is_full(&self) -> bool {
        self.queue.len() >= self.capacity || self.bytes >= self.max_bytes
    }

    /// The driver's waker, once the subscribers have read the buffer down
    /// to half its bounds (so that a paused driver resumes with room for a
    /// good many reads, not one).
    fn take_room_waker(&mut self) -> Option<Waker> {
        let half = self.queue.len() <= self.capacity / 2 && self.bytes <= self.max_bytes / 2;
        if half || self.live == 0 {
            self.room.take()
        } else {
            None
        }
    }

    fn push(&mut self, item: Incoming) {
        let cost = cost(&item);
        if self.overflow == Overflow::DropOldest {
            // The oldest go; whoever had not read them will hear `Lost`.
            while !self.queue.is_empty()
                && (self.queue.len() >= self.capacity || self.bytes + cost > self.max_bytes)
            {
                self.pop_front();
            }
        }
        // With backpressure the driver stops reading while the buffer is
        // full: it overshoots by at most one read's worth.
        self.bytes += cost;
        self.queue.push_back(Slot {
            item,
            unread: self.live,
            cost,
        });
    }
}

struct Inner {
    state: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn subscribe(self: &Arc<Self>) -> Subscriber {
        let mut state = self.lock();
        let cursor = Cursor {
            next: state.tail(),
            waker: None,
        };
        let id = match state.cursors.iter().position(Option::is_none) {
            Some(id) => {
                state.cursors[id] = Some(cursor);
                id
            }
            None => {
                state.cursors.push(Some(cursor));
                state.cursors.len() - 1
            }
        };
        state.live += 1;
        Subscriber {
            inner: Some(Arc::clone(self)),
            id,
            local: VecDeque::new(),
        }
    }
}

/// Up to a few wakers taken under the lock, woken after it is released;
/// more are woken under the lock.
#[derive(Default)]
struct WakeList {
    wakers: [Option<Waker>; 4],
    len: usize,
    woken: usize,
}

impl WakeList {
    fn push(&mut self, waker: Waker) {
        self.woken += 1;
        if self.len < self.wakers.len() {
            self.wakers[self.len] = Some(waker);
            self.len += 1;
        } else {
            waker.wake();
        }
    }

    /// Wakes them; returns how many were woken in all.
    fn wake_all(self) -> usize {
        for waker in self.wakers.into_iter().flatten() {
            waker.wake();
        }
        self.woken
    }
}

/// The driver's end of the fan-out: publishes items to every subscriber.
/// Dropping it closes the fan-out (as [`close`](Self::close) does).
pub struct Publisher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("Publisher")
            .field("capacity", &state.capacity)
            .field("buffered", &state.queue.len())
            .field("subscribers", &state.live)
            .field("closed", &state.closed)
            .finish()
    }
}

impl Publisher {
    /// A fan-out that keeps at most `capacity` unread items (at least 1),
    /// dropping the oldest beyond. Nothing is allocated until items are
    /// published.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self::bounded(capacity, usize::MAX, Overflow::DropOldest)
    }

    /// A fan-out bounded by `events` unread items and `bytes` of them (a
    /// message's bytes plus a few dozen for its slot), with the given
    /// policy when subscribers fall that far behind: drop the oldest and
    /// count, or let the driver wait ([`poll_room`](Self::poll_room)).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use ami_client::{Incoming, Overflow};
    /// use ami_client::adapter::Publisher;
    ///
    /// let publisher = Publisher::bounded(2, usize::MAX, Overflow::Backpressure);
    /// let mut subscriber = publisher.subscribe();
    /// publisher.publish(Incoming::Reconnected);
    /// publisher.publish(Incoming::Reconnected);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(publisher.poll_room(&mut cx).is_pending(), "full: the driver waits");
    /// assert_eq!(subscriber.try_recv(), Some(Incoming::Reconnected));
    /// assert_eq!(subscriber.try_recv(), Some(Incoming::Reconnected));
    /// assert!(publisher.poll_room(&mut cx).is_ready(), "read: room again");
    /// ```
    #[must_use]
    pub fn bounded(events: usize, bytes: usize, overflow: Overflow) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    head: 0,
                    capacity: events.max(1),
                    max_bytes: bytes.max(1),
                    bytes: 0,
                    overflow,
                    room: None,
                    cursors: Vec::new(),
                    live: 0,
                    closed: false,
                }),
            }),
        }
    }

    /// With [`Overflow::Backpressure`]: `Ready` while the buffer has room
    /// (or nobody subscribes, or the policy drops), else `Pending`, with
    /// `cx`'s waker woken once the subscribers have read it down to half
    /// its bounds. The driver reads the socket only when this is ready.
    pub fn poll_room(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.inner.lock();
        if state.overflow == Overflow::DropOldest
            || state.live == 0
            || state.closed
            || !state.is_full()
        {
            return Poll::Ready(());
        }
        match &mut state.room {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The bytes the unread items count against the byte bound.
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.inner.lock().bytes
    }

    /// A handle that makes new subscribers (for the client handles).
    #[must_use]
    pub fn hub(&self) -> Hub {
        Hub {
            inner: Arc::clone(&self.inner),
        }
    }

    /// A new subscriber, which receives the items published from now on.
    #[must_use]
    pub fn subscribe(&self) -> Subscriber {
        self.inner.subscribe()
    }

    /// Hands `item` to every subscriber; with none, it is dropped. Returns
    /// how many waiting subscribers it woke.
    pub fn publish(&self, item: Incoming) -> usize {
        self.publish_iter(std::iter::once(item))
    }

    /// Hands every item of `items` (emptied) to every subscriber, under one
    /// lock, waking each waiting subscriber once. Returns how many it woke:
    /// a driver that shares its thread with them may yield to let them
    /// catch up.
    pub fn publish_all(&self, items: &mut Vec<Incoming>) -> usize {
        self.publish_iter(items.drain(..))
    }

    /// Like [`publish_all`](Self::publish_all), for the items an iterator
    /// gives (pulled under the lock: it should not wait for anything).
    ///
    /// ```
    /// use ami_client::Incoming;
    /// use ami_client::adapter::Publisher;
    ///
    /// let publisher = Publisher::new(10);
    /// let mut subscriber = publisher.subscribe();
    /// publisher.publish_iter((1..=3).map(Incoming::Lost));
    /// assert_eq!(subscriber.try_recv(), Some(Incoming::Lost(1)));
    /// ```
    pub fn publish_iter(&self, items: impl Iterator<Item = Incoming>) -> usize {
        let mut wake = WakeList::default();
        {
            let mut guard = self.inner.lock();
            if guard.closed || guard.live == 0 {
                // Nobody to tell (dropped after the lock is released).
                drop(guard);
                items.for_each(drop);
                return 0;
            }
            let state = &mut *guard;
            // Room for the batch at once, within the bound.
            let fits = state.capacity.saturating_sub(state.queue.len());
            state.queue.reserve(items.size_hint().0.min(fits));
            let mut any = false;
            for item in items {
                state.push(item);
                any = true;
            }
            if any {
                for cursor in state.cursors.iter_mut().flatten() {
                    if let Some(waker) = cursor.waker.take() {
                        wake.push(waker);
                    }
                }
            }
        }
        wake.wake_all()
    }

    /// Closes the fan-out: subscribers read what is buffered, then end.
    pub fn close(&self) {
        let mut wake = WakeList::default();
        {
            let mut state = self.inner.lock();
            state.closed = true;
            for cursor in state.cursors.iter_mut().flatten() {
                if let Some(waker) = cursor.waker.take() {
                    wake.push(waker);
                }
            }
        }
        let _ = wake.wake_all();
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.close();
    }
}

/// Makes subscribers of a [`Publisher`]'s fan-out; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// A new subscriber, which receives the items published from now on
    /// (none, if the publisher has closed).
    #[must_use]
    pub fn subscribe(&self) -> Subscriber {
        self.inner.subscribe()
    }
}

/// One subscriber's items. Poll it with [`poll_recv`](Self::poll_recv).
pub struct Subscriber {
    /// `None` once it has ended (and let go of the fan-out).
    inner: Option<Arc<Inner>>,
    id: usize,
    /// Items taken from the shared buffer, not handed out yet.
    local: VecDeque<Incoming>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("taken", &self.local.len())
            .field("finished", &self.inner.is_none())
            .finish_non_exhaustive()
    }
}

/// What a look at the shared buffer found.
enum Took {
    Some,
    Empty,
    Closed,
}

impl Subscriber {
    /// The next of the items already taken from the shared buffer, if any:
    /// no lock, no wait. (A runtime's cooperative budget can be charged
    /// per batch, when this is `None`, rather than per item.)
    #[inline]
    pub fn recv_taken(&mut self) -> Option<Incoming> {
        self.local.pop_front()
    }

    /// The next item; `Ready(None)` once the publisher has closed and
    /// everything is read. `Pending` registers `cx`'s waker, which the next
    /// publication (or the close) wakes. Dropping a pending poll loses
    /// nothing.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        if let Some(item) = self.local.pop_front() {
            return Poll::Ready(Some(item));
        }
        match self.take(Some(cx.waker())) {
            Took::Some => Poll::Ready(self.local.pop_front()),
            Took::Empty => Poll::Pending,
            Took::Closed => {
                self.finish();
                Poll::Ready(None)
            }
        }
    }

    /// The next item if one is there, without waiting; `None` when there is
    /// none yet or the fan-out has ended (see
    /// [`is_finished`](Self::is_finished)).
    pub fn try_recv(&mut self) -> Option<Incoming> {
        if let Some(item) = self.local.pop_front() {
            return Some(item);
        }
        match self.take(None) {
            Took::Some => self.local.pop_front(),
            Took::Empty => None,
            Took::Closed => {
                self.finish();
                None
            }
        }
    }

    /// Whether the publisher has closed and every item has been read.
    pub fn is_finished(&mut self) -> bool {
        if !self.local.is_empty() {
            return false;
        }
        let Some(inner) = &self.inner else {
            return true;
        };
        let ended = {
            let state = inner.lock();
            let next = state.cursors[self.id].as_ref().map_or(0, |c| c.next);
            state.closed && next >= state.tail()
        };
        if ended {
            self.finish();
        }
        ended
    }

    /// Moves up to [`BATCH`] items (after a `Lost` count, if this
    /// subscriber fell behind) into `local`; registers `waker` if there is
    /// nothing.
    fn take(&mut self, waker: Option<&Waker>) -> Took {
        let Some(inner) = &self.inner else {
            return Took::Closed;
        };
        let mut guard = inner.lock();
        let state = &mut *guard;
        let Some(cursor) = state.cursors[self.id].as_mut() else {
            return Took::Closed;
        };
        if cursor.next < state.head {
            self.local
                .push_back(Incoming::Lost(state.head - cursor.next));
            cursor.next = state.head;
        }
        if cursor.next == state.head {
            // The oldest items that only this subscriber has yet to read
            // (all of them, with one subscriber): moved out in one go.
            let run = state
                .queue
                .iter()
                .take(BATCH - self.local.len())
                .take_while(|slot| slot.unread == 1)
                .count();
            let mut freed = 0;
            self.local.extend(state.queue.drain(..run).map(|slot| {
                freed += slot.cost;
                slot.item
            }));
            state.head += run as u64;
            cursor.next += run as u64;
            state.bytes -= freed;
        }
        while self.local.len() < BATCH {
            let index = (cursor.next - state.head) as usize;
            let Some(slot) = state.queue.get_mut(index) else {
                break;
            };
            cursor.next += 1;
            slot.unread -= 1;
            if index == 0 && slot.unread == 0 {
                // The last reader of the oldest item: move it out.
                // (Field by field: `cursor` borrows the cursors.)
                let slot = state.queue.pop_front().expect("the slot just read");
                state.head += 1;
                state.bytes -= slot.cost;
                self.local.push_back(slot.item);
            } else {
                self.local.push_back(slot.item.clone());
            }
        }
        if state.queue.is_empty() && state.queue.capacity() > SHRINK_ABOVE {
            state.queue.shrink_to(SHRINK_TO);
        }
        if let Some(room) = state.take_room_waker() {
            room.wake();
        }
        if !self.local.is_empty() {
            return Took::Some;
        }
        if state.closed {
            return Took::Closed;
        }
        if let (Some(waker), Some(cursor)) = (waker, state.cursors[self.id].as_mut()) {
            match &mut cursor.waker {
                Some(w) if w.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
        Took::Empty
    }

    /// Leaves the fan-out: the items it had not read no longer wait for it.
    fn finish(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let mut state = inner.lock();
        let Some(cursor) = state.cursors[self.id].take() else {
            return;
        };
        state.live -= 1;
        let head = state.head;
        let from = cursor.next.saturating_sub(head) as usize;
        for slot in state.queue.iter_mut().skip(from) {
            slot.unread -= 1;
        }
        state.pop_read();
        if let Some(room) = state.take_room_waker() {
            room.wake();
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;
    use std::time::Duration;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn lost(n: u64) -> Incoming {
        Incoming::Lost(n)
    }

    /// Stands for item `i` (a loss count that large never happens).
    const ITEM: u64 = 1 << 40;

    /// Items told apart by a number (`Lost(ITEM + i)` stands for item i).
    fn item(i: u64) -> Incoming {
        lost(ITEM + i)
    }

    fn buffered(p: &Publisher) -> usize {
        p.inner.lock().queue.len()
    }

    #[test]
    fn every_subscriber_reads_everything_in_order() {
        let p = Publisher::new(100);
        let mut a = p.subscribe();
        let mut b = p.hub().subscribe();
        let mut batch: Vec<Incoming> = (0..10).map(item).collect();
        p.publish_all(&mut batch);
        assert!(batch.is_empty());
        for i in 0..10 {
            assert_eq!(a.try_recv(), Some(item(i)));
        }
        assert_eq!(buffered(&p), 10, "b has not read them");
        for i in 0..10 {
            assert_eq!(b.try_recv(), Some(item(i)));
        }
        assert_eq!(buffered(&p), 0, "read by all: gone");
        assert_eq!(a.try_recv(), None);
    }

    #[test]
    fn a_late_subscriber_sees_only_what_follows() {
        let p = Publisher::new(10);
        let mut a = p.subscribe();
        p.publish(item(0));
        let mut b = p.subscribe();
        p.publish(item(1));
        assert_eq!(b.try_recv(), Some(item(1)));
        assert_eq!(b.try_recv(), None);
        assert_eq!(a.try_recv(), Some(item(0)));
        assert_eq!(a.try_recv(), Some(item(1)));
    }

    #[test]
    fn overflow_is_counted_for_each_subscriber_that_missed_it() {
        let p = Publisher::new(3);
        let mut slow = p.subscribe();
        let mut fast = p.subscribe();
        for i in 0..3 {
            p.publish(item(i));
        }
        for i in 0..3 {
            assert_eq!(fast.try_recv(), Some(item(i)));
        }
        for i in 3..8 {
            p.publish(item(i));
        }
        assert_eq!(buffered(&p), 3, "bounded");
        assert_eq!(slow.try_recv(), Some(lost(5)));
        for i in 5..8 {
            assert_eq!(slow.try_recv(), Some(item(i)));
        }
        assert_eq!(fast.try_recv(), Some(lost(2)));
        for i in 5..8 {
            assert_eq!(fast.try_recv(), Some(item(i)));
        }
        assert_eq!(buffered(&p), 0);
    }

    #[test]
    fn nothing_is_kept_without_subscribers_and_dropping_one_releases_its_items() {
        let p = Publisher::new(10);
        p.publish(item(0));
        assert_eq!(buffered(&p), 0);
        let a = p.subscribe();
        let mut b = p.subscribe();
        p.publish(item(1));
        p.publish(item(2));
        assert_eq!(buffered(&p), 2);
        drop(a);
        assert_eq!(buffered(&p), 2, "b has not read them");
        assert_eq!(b.try_recv(), Some(item(1)));
        assert_eq!(buffered(&p), 0, "b took both, moving them out");
        assert_eq!(b.try_recv(), Some(item(2)));
        let mut c = p.subscribe();
        p.publish(item(3));
        assert_eq!(c.try_recv(), Some(item(3)));
        drop(b);
        assert_eq!(buffered(&p), 0);
    }

    #[test]
    fn takes_at_most_a_batch_per_lock() {
        let p = Publisher::new(1_000);
        let mut a = p.subscribe();
        let mut batch: Vec<Incoming> = (0..300).map(item).collect();
        p.publish_all(&mut batch);
        assert_eq!(a.try_recv(), Some(item(0)));
        assert_eq!(a.local.len(), BATCH - 1);
        assert_eq!(buffered(&p), 300 - BATCH);
        for i in 1..300 {
            assert_eq!(a.try_recv(), Some(item(i)));
        }
    }

    #[test]
    fn one_wake_per_batch_and_close_ends_after_the_rest() {
        let p = Publisher::new(100);
        let mut a = p.subscribe();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        assert!(a.poll_recv(&mut cx).is_pending());
        let mut batch: Vec<Incoming> = (0..50).map(item).collect();
        p.publish_all(&mut batch);
        p.publish(item(50));
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once");
        for i in 0..51 {
            assert_eq!(a.poll_recv(&mut cx), Poll::Ready(Some(item(i))));
        }
        assert!(a.poll_recv(&mut cx).is_pending());
        p.publish(item(51));
        drop(p);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(a.poll_recv(&mut cx), Poll::Ready(Some(item(51))));
        assert_eq!(a.poll_recv(&mut cx), Poll::Ready(None));
        assert_eq!(a.poll_recv(&mut cx), Poll::Ready(None));
        assert!(a.is_finished());
    }

    /// Waits for a subscriber's next item on this thread.
    fn recv_blocking(sub: &mut Subscriber) -> Option<Incoming> {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            match sub.poll_recv(&mut cx) {
                Poll::Ready(item) => return item,
                Poll::Pending => std::thread::park(),
            }
        }
    }

    #[test]
    fn threads_see_every_item_in_order_or_counted_lost() {
        const ITEMS: u64 = 200_000;
        let p = Publisher::new(500);
        let subscribers: Vec<_> = (0..3).map(|_| p.subscribe()).collect();
        let readers: Vec<_> = subscribers
            .into_iter()
            .enumerate()
            .map(|(k, mut sub)| {
                std::thread::spawn(move || {
                    let (mut next, mut delivered, mut lost) = (0u64, 0u64, 0u64);
                    while let Some(incoming) = recv_blocking(&mut sub) {
                        let Incoming::Lost(n) = incoming else {
                            panic!("{incoming:?}")
                        };
                        if n >= ITEM {
                            // An item: in order, after whatever was lost.
                            assert_eq!(n - ITEM, next, "subscriber {k}");
                            next += 1;
                            delivered += 1;
                        } else {
                            // A loss count: exactly the gap it leaves.
                            next += n;
                            lost += n;
                        }
                        if k == 2 && delivered % 64 == 0 {
                            // A slow one.
                            std::thread::sleep(Duration::from_micros(50));
                        }
                    }
                    (delivered, lost)
                })
            })
            .collect();
        let mut batch = Vec::new();
        let mut i = 0;
        while i < ITEMS {
            let n = (i % 7 + 1).min(ITEMS - i);
            batch.extend((i..i + n).map(item));
            i += n;
            let _ = p.publish_all(&mut batch);
            assert!(buffered(&p) <= 500, "bounded");
        }
        drop(p);
        for reader in readers {
            let (delivered, lost) = reader.join().unwrap();
            assert_eq!(delivered + lost, ITEMS);
        }
    }

    #[test]
    fn a_large_buffer_read_empty_gives_its_memory_back() {
        let p = Publisher::new(1 << 20);
        let mut a = p.subscribe();
        let mut batch: Vec<Incoming> = (0..100_000).map(item).collect();
        p.publish_all(&mut batch);
        assert!(p.inner.lock().queue.capacity() >= 100_000);
        for i in 0..100_000 {
            assert_eq!(a.try_recv(), Some(item(i)));
        }
        assert_eq!(a.try_recv(), None);
        assert!(p.inner.lock().queue.capacity() <= SHRINK_ABOVE);
    }

    #[test]
    fn a_subscriber_made_after_the_close_ends_at_once() {
        let p = Publisher::new(4);
        let hub = p.hub();
        drop(p);
        let mut late = hub.subscribe();
        assert_eq!(late.try_recv(), None);
        assert!(late.is_finished());
    }

    fn event(size: usize) -> Incoming {
        let mut bytes = b"Event: X\r\nPad: ".to_vec();
        bytes.resize(size - 4, b'x');
        bytes.extend_from_slice(b"\r\n\r\n");
        let mut decoder = ami_proto::Decoder::new();
        decoder.feed(&bytes);
        match decoder.decode() {
            Some(ami_proto::Decoded::Message(m)) => Incoming::Event(m),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_by_bytes() {
        // Room for three 1000-byte events (each counts 1064).
        let p = Publisher::bounded(1_000, 3 * 1064, Overflow::DropOldest);
        let mut a = p.subscribe();
        for _ in 0..5 {
            p.publish(event(1000));
        }
        assert_eq!(buffered(&p), 3);
        assert_eq!(p.buffered_bytes(), 3 * 1064);
        assert_eq!(a.try_recv(), Some(lost(2)));
        for _ in 0..3 {
            assert!(matches!(a.try_recv(), Some(Incoming::Event(_))));
        }
        assert_eq!(p.buffered_bytes(), 0);
        // Small items are kept by the thousand under the same byte bound.
        for i in 0..40 {
            p.publish(item(i));
        }
        assert_eq!(buffered(&p), 40);
    }

    #[test]
    fn backpressure_never_drops_and_wakes_the_driver_at_half() {
        let p = Publisher::bounded(4, usize::MAX, Overflow::Backpressure);
        let mut a = p.subscribe();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(p.poll_room(&mut cx).is_ready());
        for i in 0..6 {
            p.publish(item(i));
        }
        assert_eq!(buffered(&p), 6, "a read's overshoot is kept, not dropped");
        assert!(p.poll_room(&mut cx).is_pending());
        // Read down to 3 (above half of 4): still waiting.
        for i in 0..3 {
            assert_eq!(a.try_recv(), Some(item(i)));
        }
        // The subscriber took a batch of all six at once: the shared
        // buffer is empty, the driver was woken once.
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(p.poll_room(&mut cx).is_ready());
        for i in 3..6 {
            assert_eq!(a.try_recv(), Some(item(i)));
        }
        assert_eq!(a.try_recv(), None, "nothing lost");
        // Without subscribers there is nobody to wait for.
        drop(a);
        for i in 0..10 {
            p.publish(item(i));
        }
        assert!(p.poll_room(&mut cx).is_ready());
    }
}
