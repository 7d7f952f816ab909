//! A template definition of an EVTX chunk → its [`Plan`]: where each value ringfence reads
//! comes from in the records that use it (text written in the template, or the record's
//! substitution number n).
//!
//! Every record of a Windows event log is an instance of a template (the event's XML with
//! `%n` holes) and the values that fill its holes. Sysmon writes one template per event type;
//! its `System` part holds `EventID`, `Channel`, `Provider Name=…` and `Computer`, its
//! `EventData` part one `<Data Name="…">%n</Data>` per field. So reading the template once per
//! chunk tells which substitution holds `Image`, `DestinationIp`, … in every record of that
//! event type. Windows puts the `EventData` part in a template of its own: the record's
//! template is `<Event><System>…</System>%n</Event>`, and substitution n holds a fragment of
//! binary XML, itself an instance of the `EventData` template. So a plan lists those
//! substitutions ([`Plan::fragments`]), and the fragment's template gets a plan of its own, read
//! as content of `Event` ([`Root::Fragment`]).
//!
//! Read by hand for the reason in `binxml`; a template whose parts ringfence reads are shaped
//! otherwise than that (several texts in one field, a field name given by a substitution, a
//! field written twice, no `Event` root) is [`Unsupported`].

use super::binxml::{Cursor, Fast, Name, Unsupported, token, utf16_text, value_type};
use super::fields::{DATA_NAMES, Scalar};
use std::borrow::Cow;

/// Where a value comes from in the records of a template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Source {
    /// Text written in the template itself.
    Literal(Scalar<'static>),
    /// The record's substitution value of this number.
    Substitution(u16),
}

/// What ringfence reads from the records of one template. `None`, or a field not listed: the
/// template has no such value (the JSON rendering would not have it either).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Plan {
    pub(crate) event_id: Option<Source>,
    pub(crate) channel: Option<Source>,
    pub(crate) provider: Option<Source>,
    pub(crate) computer: Option<Source>,
    /// `EventData` fields: index in [`DATA_NAMES`], and source.
    pub(crate) data: Vec<(usize, Source)>,
    /// Substitutions that are content of `Event`: binary XML fragments (`EventData`).
    pub(crate) fragments: Vec<u16>,
    /// The template writes an `EventData` element.
    pub(crate) event_data: bool,
}

/// Where a template's content goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Root {
    /// A record's template: the whole event, `<Event>…</Event>`.
    Record,
    /// A fragment substituted in the content of `Event`, such as `<EventData>…</EventData>`.
    Fragment,
}

/// The template definition header before its body: next-template offset, GUID, body size.
const DEFINITION_HEADER: usize = 24;
/// Deeper elements than this are [`Unsupported`] (Sysmon's templates are three deep).
const MAX_DEPTH: usize = 32;

/// What an element is to ringfence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Event,
    System,
    EventData,
    EventId,
    Channel,
    Computer,
    Provider,
    /// A `Data` element of `EventData`, with the index of its `Name` in [`DATA_NAMES`] once
    /// known (`None`: not yet, or a field ringfence does not read).
    Data(Option<usize>),
    Other,
}

/// What an attribute is to ringfence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AttributeRole {
    ProviderName,
    DataName,
    Other,
}

/// One piece of an element's content or an attribute's value, as the template has it.
#[derive(Clone, Copy)]
enum Piece<'c> {
    /// Literal text, UTF-16LE (decoded only when ringfence reads it).
    Text(&'c [u8]),
    Substitution(u16),
}

impl Piece<'_> {
    fn source(self) -> Fast<Source> {
        Ok(match self {
            Piece::Text(text) => Source::Literal(Scalar::Text(Cow::Owned(utf16_text(text)?))),
            Piece::Substitution(index) => Source::Substitution(index),
        })
    }
}

/// The pieces of an element's content or an attribute's value.
struct Pieces<'c> {
    first: Option<Piece<'c>>,
    /// More than one piece, or a piece that is no text nor substitution (element, CDATA, …).
    mixed: bool,
    /// A text or substitution piece was met.
    text: bool,
}

impl<'c> Pieces<'c> {
    fn new() -> Pieces<'c> {
        Pieces {
            first: None,
            mixed: false,
            text: false,
        }
    }

    fn push(&mut self, piece: Option<Piece<'c>>) {
        self.text |= piece.is_some();
        match (piece, &self.first) {
            (Some(source), None) if !self.mixed => self.first = Some(source),
            _ => self.mixed = true,
        }
    }

    /// The one piece (`None` for none); several are [`Unsupported`].
    fn single(self) -> Fast<Option<Piece<'c>>> {
        if self.mixed {
            Err(Unsupported)
        } else {
            Ok(self.first)
        }
    }

    /// Where the one piece's value comes from (`None` for none).
    fn source(self) -> Fast<Option<Source>> {
        self.single()?.map(Piece::source).transpose()
    }
}

struct Element<'c> {
    role: Role,
    content: Pieces<'c>,
}

struct Builder<'c> {
    chunk: &'c [u8],
    plan: Plan,
    stack: Vec<Element<'c>>,
    /// In a start tag, the attribute being read and its value.
    attribute: Option<(AttributeRole, Pieces<'c>)>,
    /// The elements met that may appear once (`System`, `EventID`, …).
    claimed: Vec<Role>,
}

/// The plan of the template defined at `offset` in `chunk`, used as `root` says.
pub(crate) fn plan(chunk: &[u8], offset: u32, root: Root) -> Fast<Plan> {
    let mut header = Cursor::new(chunk, offset as usize, chunk.len());
    header.skip(DEFINITION_HEADER - 4)?;
    let size = header.u32()? as usize;
    let end = header.pos.checked_add(size).ok_or(Unsupported)?;
    if end > chunk.len() {
        return Err(Unsupported);
    }
    let mut cursor = Cursor::new(chunk, header.pos, end);
    let mut builder = Builder {
        chunk,
        plan: Plan::default(),
        stack: Vec::new(),
        attribute: None,
        claimed: Vec::new(),
    };
    if root == Root::Fragment {
        // The fragment's elements are read as children of `Event`; it writes no `System`.
        builder.stack.push(Element {
            role: Role::Event,
            content: Pieces::new(),
        });
        builder.claimed.push(Role::System);
    }
    builder.walk(&mut cursor)?;
    let complete = match root {
        Root::Record => builder.stack.is_empty() && builder.claimed.contains(&Role::System),
        Root::Fragment => builder.stack.len() == 1 && builder.stack.iter().all(|e| !e.content.text),
    };
    if !complete {
        return Err(Unsupported);
    }
    builder.plan.event_data = builder.claimed.contains(&Role::EventData);
    Ok(builder.plan)
}

impl<'c> Builder<'c> {
    fn walk(&mut self, cursor: &mut Cursor<'c>) -> Fast<()> {
        while let Ok(byte) = cursor.u8() {
            match byte & !token::MORE {
                token::EOF if byte == token::EOF => return Ok(()),
                token::FRAGMENT_HEADER if byte == token::FRAGMENT_HEADER => cursor.skip(3)?,
                token::OPEN_START => {
                    // Template definitions carry a dependency id before the element's size.
                    cursor.skip(2 + 4)?;
                    let name = self.name(cursor)?;
                    if byte & token::MORE != 0 {
                        cursor.skip(4)?;
                    }
                    self.open(name)?;
                }
                token::CLOSE_START if byte == token::CLOSE_START => self.end_attribute()?,
                token::CLOSE_EMPTY if byte == token::CLOSE_EMPTY => {
                    self.end_attribute()?;
                    self.close()?;
                }
                token::END_ELEMENT if byte == token::END_ELEMENT => self.close()?,
                token::ATTRIBUTE => {
                    self.end_attribute()?;
                    let name = self.name(cursor)?;
                    let role = match self.stack.last().map(|e| e.role) {
                        Some(Role::Provider) if name == "Name" => AttributeRole::ProviderName,
                        Some(Role::Data(None)) if name == "Name" => AttributeRole::DataName,
                        _ => AttributeRole::Other,
                    };
                    self.attribute = Some((role, Pieces::new()));
                }
                token::VALUE => {
                    // Literal values in templates are text; other types are not read here.
                    if cursor.u8()? != value_type::STRING {
                        return Err(Unsupported);
                    }
                    let text = cursor.prefixed_utf16()?;
                    self.piece(Some(Piece::Text(text)));
                }
                token::SUBSTITUTION | token::OPTIONAL_SUBSTITUTION if byte & token::MORE == 0 => {
                    let index = cursor.u16()?;
                    cursor.skip(1)?;
                    self.piece(Some(Piece::Substitution(index)));
                }
                token::CDATA | token::PI_DATA => {
                    cursor.prefixed_utf16()?;
                    self.piece(None);
                }
                token::CHAR_REF => {
                    cursor.skip(2)?;
                    self.piece(None);
                }
                token::ENTITY_REF | token::PI_TARGET => {
                    self.name(cursor)?;
                    self.piece(None);
                }
                _ => return Err(Unsupported),
            }
        }
        Err(Unsupported)
    }

    /// A name reference: the name's offset in the chunk, its text stored right there when the
    /// offset is where the cursor is (the first use of the name in the chunk).
    fn name(&self, cursor: &mut Cursor<'_>) -> Fast<Name<'c>> {
        let offset = cursor.u32()? as usize;
        // The string-table entry: next-string offset, hash, then the length-prefixed text.
        let mut entry = Cursor::new(self.chunk, offset, self.chunk.len());
        entry.skip(6)?;
        let units = entry.prefixed_utf16()?;
        if offset == cursor.pos {
            cursor.skip(6 + 2 + units.len() + 2)?;
        }
        Ok(Name(units))
    }

    fn open(&mut self, name: Name<'_>) -> Fast<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Unsupported);
        }
        let role = match self.stack.last().map(|p| p.role) {
            None if name == "Event" => Role::Event,
            None => return Err(Unsupported),
            Some(Role::Event) if name == "System" => Role::System,
            Some(Role::Event) if name == "EventData" => Role::EventData,
            Some(Role::System) if name == "EventID" => Role::EventId,
            Some(Role::System) if name == "Channel" => Role::Channel,
            Some(Role::System) if name == "Computer" => Role::Computer,
            Some(Role::System) if name == "Provider" => Role::Provider,
            Some(Role::EventData) if name == "Data" => Role::Data(None),
            // The JSON would name a field after this element.
            Some(Role::EventData) if DATA_NAMES.iter().any(|known| name == *known) => {
                return Err(Unsupported);
            }
            _ => Role::Other,
        };
        if !matches!(role, Role::Data(_) | Role::Other) {
            // Written twice, the JSON would hold two keys (or a list) for it.
            if self.claimed.contains(&role) {
                return Err(Unsupported);
            }
            self.claimed.push(role);
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.content.push(None);
        }
        self.stack.push(Element {
            role,
            content: Pieces::new(),
        });
        Ok(())
    }

    fn piece(&mut self, piece: Option<Piece<'c>>) {
        if let Some((_, value)) = &mut self.attribute {
            value.push(piece);
        } else if let Some(element) = self.stack.last_mut() {
            match (element.role, piece) {
                (Role::Event, Some(Piece::Substitution(index))) => {
                    self.plan.fragments.push(index);
                }
                (_, piece) => element.content.push(piece),
            }
        }
    }

    fn end_attribute(&mut self) -> Fast<()> {
        let Some((role, value)) = self.attribute.take() else {
            return Ok(());
        };
        match role {
            AttributeRole::ProviderName => set(&mut self.plan.provider, value.source()?),
            AttributeRole::DataName => {
                // The field's name is the JSON key: it must be written in the template.
                let Some(Piece::Text(name)) = value.single()? else {
                    return Err(Unsupported);
                };
                let index = DATA_NAMES.iter().position(|known| Name(name) == *known);
                if let Some(element) = self.stack.last_mut() {
                    element.role = Role::Data(index);
                }
                Ok(())
            }
            AttributeRole::Other => Ok(()),
        }
    }

    fn close(&mut self) -> Fast<()> {
        let element = self.stack.pop().ok_or(Unsupported)?;
        let plan = &mut self.plan;
        match element.role {
            // Text here would make the JSON a string where ringfence reads an object.
            Role::Event | Role::System | Role::EventData if element.content.text => {
                Err(Unsupported)
            }
            Role::EventId => set(&mut plan.event_id, element.content.source()?),
            Role::Channel => set(&mut plan.channel, element.content.source()?),
            Role::Computer => set(&mut plan.computer, element.content.source()?),
            Role::Data(Some(index)) => {
                if plan.data.iter().any(|(known, _)| *known == index) {
                    return Err(Unsupported);
                }
                if let Some(source) = element.content.source()? {
                    plan.data.push((index, source));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Sets a header value (its element is met once: see `claimed`).
fn set(slot: &mut Option<Source>, source: Option<Source>) -> Fast<()> {
    *slot = source;
    Ok(())
}
