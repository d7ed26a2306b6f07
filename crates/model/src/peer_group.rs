//! A peer group as asked for — by the CLI's `--group`, the API's `group`, the pages' `grupa` —
//! parsed once into its kind, so the use-cases match on a type, not on strings.

use crate::TerytCode;

/// A peer group by name. Its [`PeerGroupSpec::name`] is the canonical name the wire formats
/// (API and CLI JSON, addresses) carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerGroupSpec {
    /// A fixed partition of the snapshot by its name: `country`, `wojewodztwo`, `typology`,
    /// or another the snapshot has (an unknown one is the use-case's error).
    Partition(String),
    /// The unit's neighbours of its own level (shared borders).
    Neighbours,
    /// Statistical nearest neighbours.
    Nearest,
    /// Units listed by TERYT code: the whole name as given (`list:…` or `lista:…`) and the
    /// codes' text after the prefix, checked against the snapshot by the use-case.
    List { name: String, codes: String },
    /// A stored custom group by its code.
    Custom(String),
}

/// The peer groups the portal offers: (value in the address, canonical name).
pub const PORTAL_GROUPS: [(&str, &str); 5] =
    [("typologia", "typology"), ("sasiedzi", "neighbours"), ("najblizsi", "nearest"), ("wojewodztwo", "wojewodztwo"), ("kraj", "country")];

impl PeerGroupSpec {
    /// Any group name the CLI and the use-cases take: the Polish words of the addresses
    /// (`kraj`, `typologia`, `sasiedzi`/`sąsiedzi`, `najblizsi`/`najbliżsi`), `neighbours`,
    /// `nearest`, `list:…`/`lista:…`, `custom:CODE`; any other word names a partition.
    pub fn parse(group: &str) -> PeerGroupSpec {
        match group {
            "kraj" => PeerGroupSpec::Partition("country".into()),
            "typologia" => PeerGroupSpec::Partition("typology".into()),
            "sasiedzi" | "sąsiedzi" | "neighbours" => PeerGroupSpec::Neighbours,
            "najblizsi" | "najbliżsi" | "nearest" => PeerGroupSpec::Nearest,
            g => {
                if let Some(codes) = g.strip_prefix("list:").or_else(|| g.strip_prefix("lista:")) {
                    PeerGroupSpec::List { name: g.to_owned(), codes: codes.to_owned() }
                } else if let Some(code) = g.strip_prefix("custom:") {
                    PeerGroupSpec::Custom(code.to_owned())
                } else {
                    PeerGroupSpec::Partition(g.to_owned())
                }
            }
        }
    }

    /// A group an address may ask for: one of [`PORTAL_GROUPS`] (by its address value or
    /// its canonical name), a list of valid TERYT codes (at most 4,000 characters; written
    /// back as `lista:` with the codes trimmed), or `custom:` with a code of at most 64
    /// letters, digits, `_` and `-`. None for anything else.
    pub fn parse_param(param: &str) -> Option<PeerGroupSpec> {
        if let Some((_, c)) = PORTAL_GROUPS.iter().find(|(p, c)| *p == param || *c == param) {
            return Some(PeerGroupSpec::parse(c));
        }
        if let Some(list) = param.strip_prefix("lista:").or_else(|| param.strip_prefix("list:")) {
            let ok = !list.is_empty() && list.len() <= 4000 && list.split(',').all(|c| TerytCode::parse(c.trim()).is_ok());
            let codes = list.split(',').map(str::trim).collect::<Vec<_>>().join(",");
            return ok.then(|| PeerGroupSpec::List { name: format!("lista:{codes}"), codes });
        }
        let code = param.strip_prefix("custom:")?;
        (!code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .then(|| PeerGroupSpec::Custom(code.to_owned()))
    }

    /// The canonical name: `typology`, `neighbours`, `lista:0201011,…`, `custom:CODE`.
    pub fn name(&self) -> String {
        match self {
            PeerGroupSpec::Partition(p) => p.clone(),
            PeerGroupSpec::Neighbours => "neighbours".into(),
            PeerGroupSpec::Nearest => "nearest".into(),
            PeerGroupSpec::List { name, .. } => name.clone(),
            PeerGroupSpec::Custom(code) => format!("custom:{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_parse_to_their_kind_and_keep_their_canonical_name() {
        for (asked, canonical) in [
            ("kraj", "country"),
            ("typologia", "typology"),
            ("sąsiedzi", "neighbours"),
            ("najblizsi", "nearest"),
            ("wojewodztwo", "wojewodztwo"),
            ("list:02, 04", "list:02, 04"),
            ("custom:g1", "custom:g1"),
        ] {
            assert_eq!(PeerGroupSpec::parse(asked).name(), canonical, "{asked}");
        }
        assert_eq!(PeerGroupSpec::parse("sasiedzi"), PeerGroupSpec::Neighbours);
        assert_eq!(PeerGroupSpec::parse("lista:02,04"), PeerGroupSpec::List { name: "lista:02,04".into(), codes: "02,04".into() });
        assert_eq!(PeerGroupSpec::parse("anything"), PeerGroupSpec::Partition("anything".into()));
    }

    #[test]
    fn an_address_may_ask_only_for_the_portals_groups_lists_of_codes_and_custom_codes() {
        assert_eq!(PeerGroupSpec::parse_param("sasiedzi"), Some(PeerGroupSpec::Neighbours));
        assert_eq!(PeerGroupSpec::parse_param("country").map(|g| g.name()).as_deref(), Some("country"));
        assert_eq!(PeerGroupSpec::parse_param("list: 02 ,04").map(|g| g.name()).as_deref(), Some("lista:02,04"));
        assert_eq!(PeerGroupSpec::parse_param("lista:02,xx"), None);
        assert_eq!(PeerGroupSpec::parse_param("custom:gwd_1"), Some(PeerGroupSpec::Custom("gwd_1".into())));
        assert_eq!(PeerGroupSpec::parse_param("custom:"), None);
        assert_eq!(PeerGroupSpec::parse_param("custom:<x>"), None);
        assert_eq!(PeerGroupSpec::parse_param("anything"), None);
        assert_eq!(PeerGroupSpec::parse_param("powiat"), None, "a partition the portal does not offer");
    }
}
