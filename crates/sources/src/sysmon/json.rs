//! Windows events as JSON lines: one object per line, as NXLog and the OTRF datasets write them
//! (every field at the top level: `EventID`, `Channel`, `SourceName`, `Hostname`, and the event's
//! own fields) and as Winlogbeat writes them (`winlog.event_id`, `winlog.channel`,
//! `winlog.provider_name`, `winlog.computer_name`, the event's fields under `winlog.event_data`).
//!
//! Each line is parsed twice at most: once for its header (every other field skipped), and only
//! for Sysmon events 1, 3 and 22 a second time for their fields, both into structs that borrow
//! from the line.

use super::fields::{EventData, EventHeader, Scalar, present};
use super::observe::{Observer, Position};
use crate::input::{EvidenceStream, Problems};
use crate::logs::lines::{Line, for_each_line};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct LineHeader<'a> {
    #[serde(rename = "EventID", borrow, default)]
    event_id: Scalar<'a>,
    #[serde(rename = "Channel", borrow, default)]
    channel: Scalar<'a>,
    #[serde(rename = "SourceName", borrow, default)]
    source_name: Scalar<'a>,
    #[serde(rename = "ProviderName", borrow, default)]
    provider_name: Scalar<'a>,
    #[serde(rename = "Hostname", borrow, default)]
    hostname: Scalar<'a>,
    #[serde(rename = "Computer", borrow, default)]
    computer: Scalar<'a>,
    #[serde(borrow, default)]
    winlog: Option<WinlogHeader<'a>>,
}

#[derive(Deserialize)]
struct WinlogHeader<'a> {
    #[serde(borrow, default)]
    event_id: Scalar<'a>,
    #[serde(borrow, default)]
    channel: Scalar<'a>,
    #[serde(borrow, default)]
    provider_name: Scalar<'a>,
    #[serde(borrow, default)]
    computer_name: Scalar<'a>,
}

#[derive(Deserialize)]
struct WinlogLine<'a> {
    #[serde(borrow)]
    winlog: WinlogData<'a>,
}

#[derive(Deserialize)]
struct WinlogData<'a> {
    #[serde(borrow, default)]
    event_data: EventData<'a>,
}

impl<'a> LineHeader<'a> {
    /// The header, and whether the event's fields are under `winlog.event_data`.
    fn header(&self) -> (EventHeader<'_>, bool) {
        if let Some(winlog) = &self.winlog {
            return (
                EventHeader {
                    event_id: winlog.event_id.unsigned(),
                    channel: borrowed(&winlog.channel),
                    provider: borrowed(&winlog.provider_name),
                    computer: borrowed(&winlog.computer_name),
                },
                true,
            );
        }
        (
            EventHeader {
                event_id: self.event_id.unsigned(),
                channel: borrowed(&self.channel),
                provider: borrowed(&self.source_name).or_else(|| borrowed(&self.provider_name)),
                computer: borrowed(&self.hostname).or_else(|| borrowed(&self.computer)),
            },
            false,
        )
    }
}

fn borrowed<'s>(value: &'s Scalar<'_>) -> Option<Cow<'s, str>> {
    present(value).map(Cow::Borrowed)
}

/// True when the first line looks like a Windows event as NXLog, OTRF or Winlogbeat write it.
pub(crate) fn looks_like(head: &[u8]) -> bool {
    let line = crate::logs::first_line(head);
    let line = line.trim_ascii_start();
    if !line.starts_with(b"{") {
        return false;
    }
    let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
    (has(b"\"EventID\":") && (has(b"\"Channel\":") || has(b"\"SourceName\":")))
        || (has(b"\"winlog\":") && has(b"\"event_id\":"))
}

/// Reads every line of `stream`.
pub(crate) fn read(
    stream: &mut EvidenceStream,
    max_line: usize,
    observer: &mut Observer<'_>,
    problems: &mut Problems,
) {
    let result = for_each_line(stream.reader(), max_line, |at, line| {
        let position = Position {
            record: at.number,
            offset: at.offset,
        };
        match line {
            Line::Text(text) => one_line(text, position, observer, problems),
            Line::TooLong { length } => problems.note(
                at.offset,
                format!(
                    "line {}: {length} bytes, longer than the {max_line}-byte line limit: skipped",
                    at.number
                ),
            ),
        }
    });
    if let Err((offset, error)) = result {
        problems.note(
            offset,
            format!("read error: {error}; the rest of the input was not read"),
        );
    }
}

fn one_line(text: &[u8], at: Position, observer: &mut Observer<'_>, problems: &mut Problems) {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    if text.trim_ascii().is_empty() {
        return;
    }
    let bad = |problems: &mut Problems, error: serde_json::Error| {
        problems.note(
            at.offset,
            format!("line {}: invalid JSON: {error}", at.record),
        );
    };
    let line: LineHeader<'_> = match serde_json::from_slice(text) {
        Ok(line) => line,
        Err(error) => return bad(problems, error),
    };
    let (header, in_winlog) = line.header();
    if !observer.wants(&header) {
        return;
    }
    let data = if in_winlog {
        serde_json::from_slice::<WinlogLine<'_>>(text).map(|line| line.winlog.event_data)
    } else {
        serde_json::from_slice::<EventData<'_>>(text)
    };
    match data {
        Ok(data) => observer.event(&header, &data, at, problems),
        Err(error) => bad(problems, error),
    }
}
