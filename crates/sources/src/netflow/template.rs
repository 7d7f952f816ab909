//! Templates: how NetFlow v9 and IPFIX data records are laid out. Parsed from template and
//! options-template sets, compiled to the few fields ringfence reads (with their offsets when
//! every field has a fixed length, which is the fast path), and cached per exporter, observation
//! domain and template id in a bounded table.

use super::fields::{Slot, slot_for};
use super::wire::{u16_at, u32_at};
use foldhash::HashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

/// The length IPFIX uses for a variable-length field (RFC 7011 §7).
pub const VARIABLE: u16 = 0xffff;
/// No template may have more fields than this: real ones have tens, and each cached field costs
/// memory an exporter chooses.
pub const MAX_FIELDS: usize = 1024;
/// A data set is at most 65535 bytes, so no record can be longer than this.
const MAX_RECORD: usize = 65_535;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub len: u16,
    pub slot: Slot,
}

/// A compiled template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Every field in order (needed to walk records with variable-length fields).
    pub fields: Box<[Field]>,
    /// The record length when no field has a variable length.
    pub fixed_len: Option<usize>,
    /// The shortest a record can be (a variable-length field takes at least its length byte).
    pub min_len: usize,
    /// For fixed-length templates: offset, length and slot of each field ringfence reads.
    pub wanted: Box<[(usize, usize, Slot)]>,
    /// Options templates describe the exporter (sampling, clocks), not flows.
    pub options: bool,
}

impl Template {
    /// Compiles a field list; `Err` says why the template cannot be used.
    pub fn compile(fields: Vec<Field>, options: bool) -> Result<Template, &'static str> {
        if fields.len() > MAX_FIELDS {
            return Err("template has more fields than ringfence accepts");
        }
        let mut fixed = true;
        let mut min_len = 0usize;
        let mut wanted = Vec::new();
        for field in &fields {
            if field.len == VARIABLE {
                fixed = false;
                min_len += 1;
            } else {
                if field.slot != Slot::Skip {
                    wanted.push((min_len, usize::from(field.len), field.slot));
                }
                min_len += usize::from(field.len);
            }
        }
        if min_len == 0 {
            return Err("template describes records of zero length");
        }
        if min_len > MAX_RECORD {
            return Err("template describes records longer than any set can hold");
        }
        Ok(Template {
            fixed_len: fixed.then_some(min_len),
            wanted: if fixed { wanted.into() } else { Box::new([]) },
            fields: fields.into(),
            min_len,
            options,
        })
    }
}

/// What one template record in a template set said.
#[derive(Debug)]
pub enum Announced {
    Template(u16, Result<Template, &'static str>),
    /// IPFIX withdrawal of one template id.
    Withdraw(u16),
    /// IPFIX withdrawal of every template of the observation domain.
    WithdrawAll,
}

/// Parses a NetFlow v9 template flowset (id 0) or options template flowset (id 1) body. Stops at
/// padding; `Err` gives the offset (in `body`) and reason of a template that overruns the set.
/// RFC 3954 has no variable-length fields, but H3C's NetStream sends IPFIX-style ones (length
/// 65535) in v9, and they are read the same way.
pub fn parse_v9(
    body: &[u8],
    options: bool,
    out: &mut dyn FnMut(Announced),
) -> Result<(), (usize, &'static str)> {
    let mut at = 0usize;
    // Anything shorter than a template header is padding.
    while body.len().saturating_sub(at) >= 4 {
        let (Some(id), Some(second)) = (u16_at(body, at), u16_at(body, at + 2)) else {
            break;
        };
        let mut fields = Vec::new();
        if options {
            // Options template: scope length and option length in bytes, then the fields.
            let Some(option_len) = u16_at(body, at + 4) else {
                return Err((at, "options template header is truncated"));
            };
            let (scope_len, option_len) = (usize::from(second), usize::from(option_len));
            let start = at + 6;
            let end = start + scope_len + option_len;
            if end > body.len() {
                return Err((at, "options template runs past its flowset"));
            }
            if id == 0 && scope_len == 0 && option_len == 0 {
                break; // zero padding
            }
            // A trailing fragment shorter than a field description is ignored.
            for field_at in (start..end.saturating_sub(3)).step_by(4) {
                let (Some(ty), Some(len)) = (u16_at(body, field_at), u16_at(body, field_at + 2))
                else {
                    return Err((field_at, "options template field is truncated"));
                };
                // v9 scope types (system, interface, …) are not Information Elements.
                let scope = field_at < start + scope_len;
                let slot = if scope { Slot::Skip } else { slot_for(ty, 0) };
                fields.push(Field { len, slot });
            }
            at = end;
        } else {
            let count = usize::from(second);
            let end = at + 4 + count * 4;
            if end > body.len() {
                return Err((at, "template runs past its flowset"));
            }
            if id == 0 && count == 0 {
                break; // zero padding
            }
            for field_at in (at + 4..end).step_by(4) {
                let (Some(ty), Some(len)) = (u16_at(body, field_at), u16_at(body, field_at + 2))
                else {
                    return Err((field_at, "template field is truncated"));
                };
                fields.push(Field {
                    len,
                    slot: slot_for(ty, 0),
                });
            }
            at = end;
        }
        let compiled = if id < 256 {
            Err("template id below 256")
        } else {
            Template::compile(fields, options)
        };
        out(Announced::Template(id, compiled));
    }
    Ok(())
}

/// Parses an IPFIX template set (id 2) or options template set (id 3) body (RFC 7011 §3.4).
pub fn parse_ipfix(
    body: &[u8],
    set_id: u16,
    out: &mut dyn FnMut(Announced),
) -> Result<(), (usize, &'static str)> {
    let options = set_id == 3;
    let mut at = 0usize;
    while body.len().saturating_sub(at) >= 4 {
        let (Some(id), Some(count)) = (u16_at(body, at), u16_at(body, at + 2)) else {
            break;
        };
        if count == 0 {
            // A withdrawal: template id = set id withdraws them all.
            out(if id == set_id {
                Announced::WithdrawAll
            } else {
                Announced::Withdraw(id)
            });
            at += 4;
            continue;
        }
        let mut field_at = at + 4;
        if options {
            // Scope field count; the scope fields are ordinary elements (observationDomainId,
            // selectorId, …) and are read like the others.
            if u16_at(body, field_at).is_none() {
                return Err((at, "options template header is truncated"));
            }
            field_at += 2;
        }
        let mut fields = Vec::with_capacity(usize::from(count).min(MAX_FIELDS));
        for _ in 0..count {
            let (Some(raw), Some(len)) = (u16_at(body, field_at), u16_at(body, field_at + 2))
            else {
                return Err((field_at, "template runs past its set"));
            };
            field_at += 4;
            let enterprise = if raw & 0x8000 != 0 {
                let Some(number) = u32_at(body, field_at) else {
                    return Err((field_at, "enterprise number runs past its set"));
                };
                field_at += 4;
                number
            } else {
                0
            };
            fields.push(Field {
                len,
                slot: slot_for(raw & 0x7fff, enterprise),
            });
        }
        at = field_at;
        let compiled = if id < 256 {
            Err("template id below 256")
        } else {
            Template::compile(fields, options)
        };
        out(Announced::Template(id, compiled));
    }
    Ok(())
}

/// Whose template: templates are scoped to the exporter's address and its observation domain
/// (IPFIX) or source id (v9), as RFC 7011 §8 and RFC 3954 §5.1 require.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TemplateKey {
    pub exporter: IpAddr,
    pub domain: u32,
    pub id: u16,
}

/// The bounded template cache: at most `capacity` templates; adding one more evicts the oldest
/// (by first arrival; a re-sent template keeps its place and replaces its fields).
#[derive(Clone)]
pub struct TemplateCache {
    map: HashMap<TemplateKey, (u64, Template)>,
    order: VecDeque<(TemplateKey, u64)>,
    capacity: usize,
    next_generation: u64,
    pub evicted: u64,
}

impl TemplateCache {
    pub fn new(capacity: usize) -> TemplateCache {
        TemplateCache {
            map: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            next_generation: 0,
            evicted: 0,
        }
    }

    pub fn get(&self, key: &TemplateKey) -> Option<&Template> {
        self.map.get(key).map(|(_, template)| template)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn insert(&mut self, key: TemplateKey, template: Template) {
        if let Some(entry) = self.map.get_mut(&key) {
            entry.1 = template;
            return;
        }
        while self.map.len() >= self.capacity {
            let Some((old, generation)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&old).is_some_and(|(g, _)| *g == generation) {
                self.map.remove(&old);
                self.evicted += 1;
            }
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        self.map.insert(key, (generation, template));
        self.order.push_back((key, generation));
        self.compact();
    }

    pub fn remove(&mut self, key: &TemplateKey) {
        self.map.remove(key);
        self.compact();
    }

    /// Withdraws every template of one exporter's observation domain (data or options).
    pub fn remove_domain(&mut self, exporter: IpAddr, domain: u32, options: bool) {
        self.map.retain(|key, (_, template)| {
            !(key.exporter == exporter && key.domain == domain && template.options == options)
        });
        self.compact();
    }

    /// Drops order entries whose template was replaced or withdrawn, so the queue stays bounded.
    fn compact(&mut self) {
        if self.order.len() > self.capacity.saturating_mul(2) {
            let map = &self.map;
            self.order
                .retain(|(key, generation)| map.get(key).is_some_and(|(g, _)| g == generation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u16) -> TemplateKey {
        TemplateKey {
            exporter: "192.0.2.1".parse().unwrap(),
            domain: 0,
            id,
        }
    }

    fn template() -> Template {
        Template::compile(
            vec![Field {
                len: 4,
                slot: Slot::SrcV4,
            }],
            false,
        )
        .unwrap()
    }

    #[test]
    fn the_cache_evicts_the_oldest_and_counts_it() {
        let mut cache = TemplateCache::new(2);
        cache.insert(key(256), template());
        cache.insert(key(257), template());
        cache.insert(key(256), template()); // re-sent: keeps its place
        cache.insert(key(258), template());
        assert!(cache.get(&key(256)).is_none());
        assert!(cache.get(&key(257)).is_some());
        assert!(cache.get(&key(258)).is_some());
        assert_eq!(cache.evicted, 1);
    }

    #[test]
    fn the_order_queue_stays_bounded_under_churn() {
        let mut cache = TemplateCache::new(4);
        for round in 0..10_000u16 {
            cache.insert(key(256 + round % 8), template());
            cache.remove(&key(256 + (round + 3) % 8));
        }
        assert!(cache.order.len() <= 8);
        assert!(cache.len() <= 4);
    }

    #[test]
    fn fixed_templates_know_their_offsets() {
        let t = Template::compile(
            vec![
                Field {
                    len: 4,
                    slot: Slot::Skip,
                },
                Field {
                    len: 2,
                    slot: Slot::SrcPort,
                },
                Field {
                    len: 0,
                    slot: Slot::DstPort,
                },
            ],
            false,
        )
        .unwrap();
        assert_eq!(t.fixed_len, Some(6));
        assert_eq!(&*t.wanted, &[(4, 2, Slot::SrcPort), (6, 0, Slot::DstPort)]);
        assert!(Template::compile(Vec::new(), false).is_err());
    }
}
