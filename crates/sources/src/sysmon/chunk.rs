//! The fast way through an intact EVTX chunk: each record's template instance is located, its
//! template's [`Plan`] (read once per chunk) says which substitution values hold the event id,
//! channel and provider, and only for Sysmon events 1, 3 and 22 are the `EventData` values
//! decoded. No record is rendered, so a log of mostly other events (image loads, registry
//! writes) costs little more than walking its record headers.
//!
//! The chunk is read in two passes: the first reads every record into an [`Event`] and sends
//! nothing; only when every record was readable this way does the second send them to the
//! observer. A chunk with anything else in it (a record the walk cannot read, a template or
//! value shape `binxml` and `template` do not read) is [`Unsupported`] as a whole, and the
//! caller reads it with the `evtx` crate, so both ways give the same observations, and damaged
//! chunks get the crate's problems.

use super::binxml::{Cursor, Fast, Name, Unsupported, scalar, token, value_type};
use super::fields::{EventData, EventHeader, SYSMON_CHANNEL, Scalar, present};
use super::observe::{Observer, Position, is_wanted};
use super::template::{self, Plan, Root, Source};
use crate::input::Problems;
use evtx::{EvtxChunkHeader, EvtxRecordHeader};
use std::borrow::Cow;

const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;
/// Templates (and fragment templates) a chunk may use before it is left to the crate: Sysmon
/// has about 30 event types; the bound keeps a hostile chunk from having one template body
/// read hundreds of times from different offsets.
const MAX_TEMPLATES: usize = 64;

/// One record read by the first pass.
enum Event {
    /// Not read further: what [`Observer::count`] needs.
    Skipped { sysmon: bool, event_id: Option<u64> },
    /// A Sysmon event 1, 3 or 22 with its fields (boxed: most records are skipped).
    Wanted(Box<(EventHeader<'static>, EventData<'static>)>),
}

/// The fast path's buffers, kept from chunk to chunk.
#[derive(Default)]
pub(crate) struct FastChunks {
    /// The plans of the current chunk's templates, by definition offset and use.
    plans: Vec<(u32, Root, Plan)>,
    /// The current chunk's records: offset in the chunk, and the event.
    events: Vec<(u64, Event)>,
    /// Chunks read this way.
    pub(crate) chunks: u64,
}

impl FastChunks {
    /// Reads the intact chunk `data` (at byte `offset` of the input) and sends its events, or
    /// sends nothing and gives [`Unsupported`].
    pub(crate) fn read(
        &mut self,
        data: &[u8],
        header: &EvtxChunkHeader,
        offset: u64,
        record_number: &mut u64,
        observer: &mut Observer<'_>,
        problems: &mut Problems,
    ) -> Fast<()> {
        self.plans.clear();
        self.events.clear();
        let walked = self.walk(data, header);
        self.plans.clear();
        walked?;
        self.chunks += 1;
        for (at, event) in self.events.drain(..) {
            *record_number += 1;
            let at = Position {
                record: *record_number,
                offset: offset + at,
            };
            match event {
                Event::Skipped { sysmon, event_id } => {
                    observer.count(sysmon, event_id);
                }
                Event::Wanted(event) => {
                    let (header, data) = *event;
                    if observer.wants(&header) {
                        observer.event(&header, &data, at, problems);
                    }
                }
            }
        }
        Ok(())
    }

    /// The first pass: the chunk's live records, as the crate walks them (from the chunk
    /// header to the free space, or to the chunk's last record id), into `events`.
    fn walk(&mut self, data: &[u8], header: &EvtxChunkHeader) -> Fast<()> {
        let live_end = (header.free_space_offset as usize).min(data.len());
        let mut offset = CHUNK_HEADER_SIZE;
        while offset < live_end {
            let record = EvtxRecordHeader::from_bytes_at(data, offset).map_err(|_| Unsupported)?;
            let size = record.record_data_size().map_err(|_| Unsupported)? as usize;
            let start = offset + RECORD_HEADER_SIZE;
            let event = self.event(data, start, start + size)?;
            self.events.push((offset as u64, event));
            if record.event_record_id == header.last_event_record_id {
                break;
            }
            offset += record.data_size as usize;
        }
        Ok(())
    }

    /// The record whose binary XML is `data[start..end]`.
    fn event(&mut self, data: &[u8], start: usize, end: usize) -> Fast<Event> {
        let (definition, values) = instance(data, start, end)?;
        let record = self.plan(data, definition, Root::Record)?;
        let plan = self.get(record)?;
        let event_id = values.resolve(plan.event_id.as_ref())?.unsigned();
        // Most records of a Sysmon log: its channel, told without decoding it.
        let sysmon_channel = match plan.channel {
            Some(Source::Substitution(index)) => values.get(index).is_ok_and(|(ty, _, bytes)| {
                ty == value_type::STRING && Name(bytes).eq_ignore_ascii_case(SYSMON_CHANNEL)
            }),
            _ => false,
        };
        if sysmon_channel && !is_wanted(true, event_id) {
            return Ok(Event::Skipped {
                sysmon: true,
                event_id,
            });
        }
        let channel = values.resolve(plan.channel.as_ref())?;
        let provider = values.resolve(plan.provider.as_ref())?;
        let mut header = EventHeader {
            event_id,
            channel: present(&channel).map(Cow::Borrowed),
            provider: present(&provider).map(Cow::Borrowed),
            computer: None,
        };
        let sysmon = header.is_sysmon();
        if !is_wanted(sysmon, event_id) {
            return Ok(Event::Skipped { sysmon, event_id });
        }
        let computer = values.resolve(plan.computer.as_ref())?;
        header.computer = present(&computer).map(Cow::Borrowed);
        let owned = |text: Option<&str>| text.map(|text| Cow::Owned(text.to_owned()));
        let header = EventHeader {
            event_id: header.event_id,
            channel: owned(header.channel.as_deref()),
            provider: owned(header.provider.as_deref()),
            computer: owned(header.computer.as_deref()),
        };
        let mut data_fields = EventData::default();
        fill(plan, &values, &mut data_fields)?;
        let mut event_data = plan.event_data;
        let fragments = plan.fragments.clone();
        for index in fragments {
            let (ty, at, bytes) = values.get(index)?;
            if ty == value_type::NULL || bytes.is_empty() {
                continue;
            }
            if ty != value_type::BIN_XML {
                return Err(Unsupported);
            }
            let (definition, fragment_values) = instance(data, at, at + bytes.len())?;
            let fragment = self.plan(data, definition, Root::Fragment)?;
            let plan = self.get(fragment)?;
            // One `EventData` in all; fragments within fragments are not read here.
            if (event_data && plan.event_data) || !plan.fragments.is_empty() {
                return Err(Unsupported);
            }
            event_data |= plan.event_data;
            fill(plan, &fragment_values, &mut data_fields)?;
        }
        Ok(Event::Wanted(Box::new((header, data_fields))))
    }

    /// The index in `plans` of the plan of the template at `definition`, read if new.
    fn plan(&mut self, data: &[u8], definition: u32, root: Root) -> Fast<usize> {
        let known = self
            .plans
            .iter()
            .position(|(at, known_root, _)| (*at, *known_root) == (definition, root));
        match known {
            Some(known) => Ok(known),
            None if self.plans.len() < MAX_TEMPLATES => {
                let plan = template::plan(data, definition, root)?;
                self.plans.push((definition, root, plan));
                Ok(self.plans.len() - 1)
            }
            None => Err(Unsupported),
        }
    }

    fn get(&self, plan: usize) -> Fast<&Plan> {
        self.plans
            .get(plan)
            .map(|(_, _, plan)| plan)
            .ok_or(Unsupported)
    }
}

/// Sets the `EventData` fields `plan` reads from `values`.
fn fill(plan: &Plan, values: &Values<'_>, data: &mut EventData<'static>) -> Fast<()> {
    for (index, source) in &plan.data {
        if let Some(field) = data.field_mut(*index) {
            *field = values.resolve(Some(source))?.into_owned();
        }
    }
    Ok(())
}

/// A record's substitution values: their descriptors (size, type, padding) and where the
/// first value starts; each value follows the one before.
struct Values<'c> {
    data: &'c [u8],
    descriptors: &'c [u8],
    start: usize,
}

impl<'c> Values<'c> {
    /// Value number `index`: its type, where it starts in the chunk, and its bytes.
    fn get(&self, index: u16) -> Fast<(u8, usize, &'c [u8])> {
        let mut at = self.start;
        for (n, descriptor) in self.descriptors.chunks_exact(4).enumerate() {
            let size = usize::from(u16::from_le_bytes([descriptor[0], descriptor[1]]));
            if n == usize::from(index) {
                let bytes = self.data.get(at..at + size).ok_or(Unsupported)?;
                return Ok((descriptor[2], at, bytes));
            }
            at += size;
        }
        Err(Unsupported)
    }

    fn resolve<'p>(&self, source: Option<&'p Source>) -> Fast<Scalar<'p>> {
        match source {
            None => Ok(Scalar::Absent),
            Some(Source::Literal(Scalar::Text(text))) => Ok(Scalar::Text(Cow::Borrowed(text))),
            Some(Source::Literal(other)) => Ok(other.clone()),
            Some(Source::Substitution(index)) => {
                let (ty, _, bytes) = self.get(*index)?;
                scalar(ty, bytes)
            }
        }
    }
}

/// The record's template instance, the only shape the fast path reads: an optional fragment
/// header, the instance (template definition offset, the definition itself on its first use
/// in the chunk, the values), then nothing or the end-of-stream token.
fn instance(data: &[u8], start: usize, end: usize) -> Fast<(u32, Values<'_>)> {
    let mut cursor = Cursor::new(data, start, end);
    if cursor.peek() == Some(token::FRAGMENT_HEADER) {
        cursor.skip(4)?;
    }
    if cursor.u8()? != token::TEMPLATE_INSTANCE {
        return Err(Unsupported);
    }
    // An unknown byte and the template id.
    cursor.skip(1 + 4)?;
    let definition = cursor.u32()?;
    if cursor.pos == definition as usize {
        // Next-template offset and GUID, then the body's size and the body.
        cursor.skip(4 + 16)?;
        let size = cursor.u32()? as usize;
        cursor.skip(size)?;
    }
    let count = cursor.u32()? as usize;
    let descriptors = cursor.bytes(count.checked_mul(4).ok_or(Unsupported)?)?;
    let values = Values {
        data,
        descriptors,
        start: cursor.pos,
    };
    for descriptor in descriptors.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([descriptor[0], descriptor[1]]));
        let bytes = cursor.bytes(size)?;
        if !readable(descriptor[2], bytes) {
            return Err(Unsupported);
        }
    }
    match cursor.peek() {
        None | Some(token::EOF) => Ok((definition, values)),
        Some(_) => Err(Unsupported),
    }
}

/// Whether the crate reads a value of this type and size without complaint (the types Windows
/// logs put in records; arrays, nested BinXML and odd sizes are left to the crate).
fn readable(ty: u8, bytes: &[u8]) -> bool {
    let size = bytes.len();
    match ty {
        // Binary XML is read when it is an `EventData` fragment (see `template`).
        value_type::NULL | value_type::ANSI_STRING | value_type::BINARY => true,
        value_type::BIN_XML => true,
        value_type::STRING => size.is_multiple_of(2),
        value_type::INT8..=value_type::UINT64 => size == 1 << ((ty - value_type::INT8) / 2),
        value_type::REAL32 | value_type::BOOL | value_type::HEX_INT32 => size == 4,
        value_type::REAL64 | value_type::FILETIME | value_type::HEX_INT64 => size == 8,
        value_type::GUID | value_type::SYSTIME => size == 16,
        // Revision, sub-authority count, 6-byte authority, the sub-authorities.
        value_type::SID => bytes
            .get(1)
            .is_some_and(|&count| size == 8 + 4 * usize::from(count)),
        _ => false,
    }
}
