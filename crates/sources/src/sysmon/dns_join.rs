//! DNS answers joined to the connections of the process that asked for them.
//!
//! Sysmon logs a process's DNS query (event 22, with the answer) and its connections (event 3)
//! separately and asynchronously: the query of a connection can be logged after it (in the OTRF
//! data, `raw.githubusercontent.com` is answered 5 ms after PowerShell's connection to its
//! address), and a forwarder can write events out of time order (up to 3 s in the OTRF data;
//! there, Defender's `wdcp.microsoft.com` answer comes 187 lines after its connection). So:
//!
//! - every answer is remembered per process (host + ProcessGuid, or + ProcessId when the form has
//!   no GUID) and address, at most [`MAX_ANSWERS_PER_KEY`] per pair, in a table of at most
//!   `max_answer_keys` pairs (the least recently answered pair is evicted and counted);
//! - a connection waits in a queue until the events read have reached [`HOLD`] past its time (or
//!   the queue holds `max_pending` connections; the oldest then leaves early, counted), then
//!   takes the name of its process's latest answer for its address at or before its time, or
//!   failing that the earliest one logged at most [`LATE_ANSWER`] after it. Answers older than a
//!   day ([`ANSWER_HORIZON`]) are not used.
//!
//! Only the process's own answers are used, never another process's answer on the same host:
//! Sysmon attributes each query to the process that made it, and the point of this join is the
//! name *this program* asked for. Another process's name for the same address is often wrong
//! for shared (CDN) addresses, and in the OTRF data Defender looks up the names other programs
//! visited. Host-wide names still reach the audit: every answer is also sent as a `Resolution`.

use ringfence_model::{Connection, LearnedName, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::rc::Rc;

/// How long after a connection its process's answer may be logged and still name it.
pub(crate) const LATE_ANSWER: i64 = 2_000_000_000;
/// How long a connection waits, in event time, for answers logged after it.
pub(crate) const HOLD: i64 = LATE_ANSWER + 30_000_000_000;
/// How old an answer may be and still name a connection.
pub(crate) const ANSWER_HORIZON: i64 = 86_400_000_000_000;
/// Answers kept per process and address (the most recent).
pub(crate) const MAX_ANSWERS_PER_KEY: usize = 4;

/// Which process on which host: `host\u{0}guid-or-pid`, shared by all its table entries.
pub(crate) type ProcessLabel = Rc<str>;

#[derive(Clone, Debug)]
struct Answer {
    time: Timestamp,
    name: Rc<LearnedName>,
}

struct Slot {
    answers: Vec<Answer>,
    /// The sequence number of its last answer, for least-recently-answered eviction.
    touched: u64,
}

/// A connection waiting for late answers, with what its join needs.
pub(crate) struct Waiting {
    pub(crate) connection: Connection,
    /// The process and the remote address to join on; `None` for a connection the process did
    /// not open (inbound), which no answer names.
    pub(crate) join: Option<(ProcessLabel, IpAddr)>,
}

/// Counts of what the join did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JoinStats {
    /// Connections that got a name from their process's DNS answer.
    pub joined: u64,
    /// (process, address) pairs evicted from the full answer table.
    pub evicted_answers: u64,
    /// Connections that left the full waiting queue before their hold time.
    pub released_early: u64,
}

pub(crate) struct DnsJoin {
    max_answer_keys: usize,
    max_pending: usize,
    answers: HashMap<(ProcessLabel, IpAddr), Slot>,
    order: VecDeque<((ProcessLabel, IpAddr), u64)>,
    sequence: u64,
    pending: VecDeque<Waiting>,
    /// The latest event time read so far.
    watermark: Option<Timestamp>,
    pub(crate) stats: JoinStats,
}

impl DnsJoin {
    pub(crate) fn new(max_answer_keys: usize, max_pending: usize) -> DnsJoin {
        DnsJoin {
            max_answer_keys: max_answer_keys.max(1),
            max_pending: max_pending.max(1),
            answers: HashMap::new(),
            order: VecDeque::new(),
            sequence: 0,
            pending: VecDeque::new(),
            watermark: None,
            stats: JoinStats::default(),
        }
    }

    /// Notes that an event of time `time` was read.
    pub(crate) fn advance(&mut self, time: Timestamp) {
        if self.watermark.is_none_or(|mark| time > mark) {
            self.watermark = Some(time);
        }
    }

    /// Remembers `process`'s answer naming `addresses` (a query and its CNAME chain).
    pub(crate) fn remember(
        &mut self,
        process: &ProcessLabel,
        time: Timestamp,
        name: LearnedName,
        addresses: &[IpAddr],
    ) {
        let name = Rc::new(name);
        for &address in addresses {
            self.sequence += 1;
            let key = (Rc::clone(process), address);
            let slot = self.answers.entry(key.clone()).or_insert_with(|| Slot {
                answers: Vec::new(),
                touched: 0,
            });
            slot.touched = self.sequence;
            if slot.answers.len() == MAX_ANSWERS_PER_KEY
                && let Some(oldest) = (0..slot.answers.len())
                    .min_by_key(|&i| slot.answers.get(i).map(|a| a.time).unwrap_or_default())
            {
                slot.answers.swap_remove(oldest);
            }
            slot.answers.push(Answer {
                time,
                name: Rc::clone(&name),
            });
            self.order.push_back((key, self.sequence));
            self.evict();
        }
    }

    fn evict(&mut self) {
        while self.answers.len() > self.max_answer_keys {
            let Some((key, sequence)) = self.order.pop_front() else {
                break;
            };
            if self
                .answers
                .get(&key)
                .is_some_and(|s| s.touched == sequence)
            {
                self.answers.remove(&key);
                self.stats.evicted_answers += 1;
            }
        }
        // Entries superseded by a later answer to the same pair: drop them before the queue
        // outgrows the table.
        if self.order.len() > 2 * self.max_answer_keys + 16 {
            let answers = &self.answers;
            self.order
                .retain(|(key, sequence)| answers.get(key).is_some_and(|s| s.touched == *sequence));
        }
    }

    /// Queues a connection; returns the connections now ready, in the order they were read.
    pub(crate) fn wait(&mut self, waiting: Waiting, ready: &mut Vec<Connection>) {
        self.pending.push_back(waiting);
        while self.pending.len() > self.max_pending {
            if let Some(oldest) = self.pending.pop_front() {
                self.stats.released_early += 1;
                ready.push(self.named(oldest));
            }
        }
        self.release_due(ready);
    }

    /// Releases the connections whose hold time the events read have passed.
    pub(crate) fn release_due(&mut self, ready: &mut Vec<Connection>) {
        let Some(mark) = self.watermark else { return };
        while let Some(front) = self.pending.front() {
            if mark
                .nanos()
                .saturating_sub(front.connection.first_seen.nanos())
                <= HOLD
            {
                break;
            }
            if let Some(due) = self.pending.pop_front() {
                ready.push(self.named(due));
            }
        }
    }

    /// Releases every waiting connection (end of input).
    pub(crate) fn release_all(&mut self, ready: &mut Vec<Connection>) {
        while let Some(waiting) = self.pending.pop_front() {
            ready.push(self.named(waiting));
        }
    }

    fn named(&mut self, waiting: Waiting) -> Connection {
        let mut connection = waiting.connection;
        let Some(key) = waiting.join else {
            return connection;
        };
        let t = connection.first_seen.nanos();
        let Some(slot) = self.answers.get(&key) else {
            return connection;
        };
        let before = slot
            .answers
            .iter()
            .filter(|a| a.time.nanos() <= t && t.saturating_sub(a.time.nanos()) <= ANSWER_HORIZON)
            .max_by_key(|a| a.time);
        let after = || {
            slot.answers
                .iter()
                .filter(|a| a.time.nanos() > t && a.time.nanos().saturating_sub(t) <= LATE_ANSWER)
                .min_by_key(|a| a.time)
        };
        if let Some(answer) = before.or_else(after) {
            self.stats.joined += 1;
            let name = LearnedName::clone(&answer.name);
            if !connection.names.contains(&name) {
                connection.names.push(name);
                connection.names.sort();
            }
        }
        connection
    }
}
