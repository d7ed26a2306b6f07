//! A GeoJSON boundary file parsed as a stream straight into rings of positions: ~16 bytes a
//! position, where a `serde_json::Value` tree took ~250 (a 240 MB file of 10 M positions
//! needed 2.5 GB), and counted against [`crate::limits::MAX_BOUNDARY_POSITIONS`] as they come,
//! so the parse stops at the first position past the limit. Members other than `type`,
//! `crs`, `features` (and a feature's `properties` and `geometry`) are skipped unread.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{RawPolygon, RawRing};
use crate::limits::MAX_FIELD_BYTES;

/// The positions a file may have, and how many it had so far.
pub(super) struct Budget {
    max: usize,
    used: Cell<usize>,
    over: Cell<bool>,
}

impl Budget {
    pub(super) fn new(max: usize) -> Self {
        Budget { max, used: Cell::new(0), over: Cell::new(false) }
    }
    /// Whether the parse stopped at the limit.
    pub(super) fn exceeded(&self) -> bool {
        self.over.get()
    }
    fn take_one<E: de::Error>(&self) -> Result<(), E> {
        let used = self.used.get() + 1;
        self.used.set(used);
        if used > self.max {
            self.over.set(true);
            return Err(E::custom("too many positions"));
        }
        Ok(())
    }
}

/// The members of a FeatureCollection that are read.
#[derive(Default)]
pub(super) struct Doc {
    /// `type`, when a string.
    pub kind: Option<String>,
    /// `crs.properties.name`, when a string.
    pub crs_name: Option<String>,
    /// `features`, when an array.
    pub features: Option<Vec<Feature>>,
}

/// One feature: its string and number properties, and its polygons or why not.
pub(super) struct Feature {
    pub attrs: Vec<(String, String)>,
    pub geometry: Result<Vec<RawPolygon>, String>,
}

/// Parses a whole document.
pub(super) struct DocSeed<'b>(pub &'b Budget);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Doc;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_map(DocVisitor(self.0))
    }
}

struct DocVisitor<'b>(&'b Budget);

impl<'de> Visitor<'de> for DocVisitor<'_> {
    type Value = Doc;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut doc = Doc::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => doc.kind = map.next_value::<Scalar>()?.text(),
                Key::Crs => doc.crs_name = map.next_value::<Crs>()?.0,
                Key::Features => doc.features = map.next_value_seed(FeaturesSeed(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(doc)
    }
}

/// The member names that are read; any other is `Other` (and never copied).
enum Key {
    Type,
    Crs,
    Features,
    Properties,
    Name,
    Geometry,
    Coordinates,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "crs" => Key::Crs,
                    "features" => Key::Features,
                    "properties" => Key::Properties,
                    "name" => Key::Name,
                    "geometry" => Key::Geometry,
                    "coordinates" => Key::Coordinates,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Drains a value that is not what was looked for.
macro_rules! skip_other_values {
    ($default:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A property value: text (at most [`MAX_FIELD_BYTES`]; longer text is dropped, no code or
/// name is that long), a number as text, or anything else (dropped).
enum Scalar {
    Text(String),
    Number(String),
    Other,
}

impl Scalar {
    fn text(self) -> Option<String> {
        match self {
            Scalar::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(if v.len() > MAX_FIELD_BYTES { Scalar::Other } else { Scalar::Text(v.to_owned()) })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
                drain_seq(seq).map(|()| Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
                drain_map(map).map(|()| Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A `crs` member: its `properties.name`, when there is one.
struct Crs(Option<String>);

impl<'de> de::Deserialize<'de> for Crs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Crs, D::Error> {
        struct V(bool);
        impl<'de> Visitor<'de> for V {
            type Value = Crs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a crs member")
            }
            skip_other_values!(Crs(None));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Crs, A::Error> {
                drain_seq(seq).map(|()| Crs(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Crs, A::Error> {
                // Outer level: `properties`; inner level (self.0): `name`.
                let mut name = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match (self.0, key) {
                        (false, Key::Properties) => name = map.next_value_seed(CrsInner)?.0,
                        (true, Key::Name) => name = map.next_value::<Scalar>()?.text(),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Crs(name))
            }
        }
        struct CrsInner;
        impl<'de> DeserializeSeed<'de> for CrsInner {
            type Value = Crs;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Crs, D::Error> {
                d.deserialize_any(V(true))
            }
        }
        d.deserialize_any(V(false))
    }
}

struct FeaturesSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = Option<Vec<Feature>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_> {
    type Value = Option<Vec<Feature>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }
    skip_other_values!(None);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(f) = seq.next_element_seed(FeatureSeed(self.0))? {
            out.push(f);
        }
        Ok(Some(out))
    }
}

struct FeatureSeed<'b>(&'b Budget);

const NO_GEOMETRY: &str = "the feature has no geometry";

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_> {
    type Value = Feature;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Feature, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_> {
    type Value = Feature;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a feature")
    }
    skip_other_values!(Feature { attrs: Vec::new(), geometry: Err(NO_GEOMETRY.to_owned()) });
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Feature, A::Error> {
        drain_seq(seq).map(|()| Feature { attrs: Vec::new(), geometry: Err(NO_GEOMETRY.to_owned()) })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Feature, A::Error> {
        let mut attrs = Vec::new();
        let mut geometry = Err(NO_GEOMETRY.to_owned());
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Properties => attrs = map.next_value::<Properties>()?.0,
                Key::Geometry => geometry = map.next_value_seed(GeometrySeed(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Feature { attrs, geometry })
    }
}

/// A feature's properties that are text or numbers, as text.
struct Properties(Vec<(String, String)>);

impl<'de> de::Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Properties, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("properties")
            }
            skip_other_values!(Properties(Vec::new()));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Properties, A::Error> {
                drain_seq(seq).map(|()| Properties(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Scalar>()? {
                    let value = map.next_value::<Scalar>()?;
                    if let (Scalar::Text(k), Scalar::Text(v) | Scalar::Number(v)) = (key, value) {
                        out.push((k, v));
                    }
                }
                Ok(Properties(out))
            }
        }
        d.deserialize_any(V)
    }
}

struct GeometrySeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_> {
    type Value = Result<Vec<RawPolygon>, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

const NO_COORDINATES: &str = "the geometry has no coordinates";

impl<'de> Visitor<'de> for GeometrySeed<'_> {
    type Value = Result<Vec<RawPolygon>, String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a geometry")
    }
    skip_other_values!(Err(NO_COORDINATES.to_owned()));
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Err(NO_COORDINATES.to_owned()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        let mut coords = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => kind = map.next_value::<Scalar>()?.text(),
                Key::Coordinates => coords = Some(map.next_value_seed(NodeSeed(self.0))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(polygons(kind.as_deref(), coords))
    }
}

/// Nested coordinates as they come: a number, a position, a ring (an array of positions), an
/// array of deeper arrays, or something that cannot be coordinates (and why not).
enum Node {
    Num(f64),
    Pos(f64, f64),
    Ring(RawRing),
    List(Vec<Node>),
    Other,
    Bad(&'static str),
}

struct NodeSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

const NOT_TWO_NUMBERS: &str = "a position is not two numbers";
const NOT_A_POSITION: &str = "a position is not an array of two numbers";

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("coordinates")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Num(v))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Node, A::Error> {
        drain_map(map).map(|()| Node::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let (mut nums, mut n_nums, mut n_other) = ([0.0f64; 2], 0usize, 0usize);
        let mut ring: RawRing = Vec::new();
        let mut list: Vec<Node> = Vec::new();
        let mut bad: Option<&'static str> = None;
        while let Some(node) = seq.next_element_seed(NodeSeed(self.0))? {
            match node {
                Node::Num(x) => {
                    if let Some(slot) = nums.get_mut(n_nums) {
                        *slot = x;
                    }
                    n_nums += 1;
                }
                Node::Pos(x, y) => {
                    self.0.take_one()?;
                    ring.push((x, y));
                }
                Node::Other => n_other += 1,
                Node::Bad(m) => {
                    bad.get_or_insert(m);
                }
                n @ (Node::Ring(_) | Node::List(_)) => list.push(n),
            }
        }
        if let Some(m) = bad {
            return Ok(Node::Bad(m));
        }
        let kinds = [n_nums > 0, n_other > 0, !ring.is_empty(), !list.is_empty()].iter().filter(|k| **k).count();
        Ok(match kinds {
            0 => Node::List(Vec::new()),
            1 if n_nums >= 2 => Node::Pos(nums[0], nums[1]),
            1 if n_nums == 1 => Node::Bad(NOT_A_POSITION),
            1 if n_other > 0 => Node::Bad(NOT_TWO_NUMBERS),
            1 if !ring.is_empty() => Node::Ring(ring),
            1 => Node::List(list),
            _ if ring.is_empty() && list.is_empty() => Node::Bad(NOT_TWO_NUMBERS),
            _ => Node::Bad(NOT_A_POSITION),
        })
    }
}

/// A geometry's polygons, with the reasons the readers have always given.
fn polygons(kind: Option<&str>, coords: Option<Node>) -> Result<Vec<RawPolygon>, String> {
    let coords = coords.ok_or(NO_COORDINATES)?;
    match kind.unwrap_or("") {
        "Polygon" => Ok(vec![polygon(coords)?]),
        "MultiPolygon" => match coords {
            Node::List(ps) => ps.into_iter().map(polygon).collect(),
            Node::Bad(m) => Err(m.to_owned()),
            _ => Err("MultiPolygon coordinates are not an array".to_owned()),
        },
        other => Err(format!("geometry type `{other}`: expected Polygon or MultiPolygon")),
    }
}

fn polygon(node: Node) -> Result<RawPolygon, String> {
    let rings = match node {
        Node::List(rings) => rings,
        Node::Bad(m) => return Err(m.to_owned()),
        _ => return Err("polygon coordinates are not an array of rings".to_owned()),
    };
    let mut rings = rings.into_iter().map(ring);
    let exterior = rings.next().ok_or("a polygon without rings")??;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok((exterior, holes))
}

fn ring(node: Node) -> Result<RawRing, String> {
    match node {
        Node::Ring(r) => Ok(r),
        Node::List(l) if l.is_empty() => Ok(Vec::new()),
        Node::Bad(m) => Err(m.to_owned()),
        _ => Err("a ring is not an array of positions".to_owned()),
    }
}
