//! Kinds of territorial units: JSTs (local government units) and statistical sub-units.

use std::fmt;

use crate::code::Level;

/// The kind of a territorial unit. The machine names (`as_str`) are part of the CLI and API
/// contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitKind {
    Kraj,
    Wojewodztwo,
    Powiat,
    /// City with powiat rights: a powiat-level record of a JST that is also a gmina.
    MiastoNaPrawachPowiatu,
    GminaMiejska,
    GminaWiejska,
    GminaMiejskoWiejska,
    /// RODZ 4: the town inside an urban-rural gmina (statistical part, not a JST).
    Miasto,
    /// RODZ 5: the rural area inside an urban-rural gmina (statistical part, not a JST).
    ObszarWiejski,
    /// RODZ 8: a district of Warszawa (statistical part, not a JST).
    Dzielnica,
    /// RODZ 9: a delegatura of Kraków, Łódź, Poznań or Wrocław (statistical part).
    Delegatura,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit kind `{0}`; valid: {list}", list = UnitKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
pub struct KindError(pub String);

impl UnitKind {
    pub const ALL: [UnitKind; 11] = [
        UnitKind::Kraj,
        UnitKind::Wojewodztwo,
        UnitKind::Powiat,
        UnitKind::MiastoNaPrawachPowiatu,
        UnitKind::GminaMiejska,
        UnitKind::GminaWiejska,
        UnitKind::GminaMiejskoWiejska,
        UnitKind::Miasto,
        UnitKind::ObszarWiejski,
        UnitKind::Dzielnica,
        UnitKind::Delegatura,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Kraj => "kraj",
            UnitKind::Wojewodztwo => "wojewodztwo",
            UnitKind::Powiat => "powiat",
            UnitKind::MiastoNaPrawachPowiatu => "miasto_na_prawach_powiatu",
            UnitKind::GminaMiejska => "gmina_miejska",
            UnitKind::GminaWiejska => "gmina_wiejska",
            UnitKind::GminaMiejskoWiejska => "gmina_miejsko_wiejska",
            UnitKind::Miasto => "miasto",
            UnitKind::ObszarWiejski => "obszar_wiejski",
            UnitKind::Dzielnica => "dzielnica",
            UnitKind::Delegatura => "delegatura",
        }
    }

    pub fn parse(s: &str) -> Result<Self, KindError> {
        let t = s.trim();
        UnitKind::ALL.into_iter().find(|k| k.as_str() == t).ok_or_else(|| KindError(t.to_owned()))
    }

    /// Polish name, as a user reads it.
    pub fn name_pl(self) -> &'static str {
        match self {
            UnitKind::Kraj => "kraj",
            UnitKind::Wojewodztwo => "województwo",
            UnitKind::Powiat => "powiat",
            UnitKind::MiastoNaPrawachPowiatu => "miasto na prawach powiatu",
            UnitKind::GminaMiejska => "gmina miejska",
            UnitKind::GminaWiejska => "gmina wiejska",
            UnitKind::GminaMiejskoWiejska => "gmina miejsko-wiejska",
            UnitKind::Miasto => "miasto w gminie miejsko-wiejskiej",
            UnitKind::ObszarWiejski => "obszar wiejski w gminie miejsko-wiejskiej",
            UnitKind::Dzielnica => "dzielnica",
            UnitKind::Delegatura => "delegatura",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            UnitKind::Kraj => "country",
            UnitKind::Wojewodztwo => "voivodeship",
            UnitKind::Powiat => "county (powiat)",
            UnitKind::MiastoNaPrawachPowiatu => "city with county rights",
            UnitKind::GminaMiejska => "urban municipality",
            UnitKind::GminaWiejska => "rural municipality",
            UnitKind::GminaMiejskoWiejska => "urban-rural municipality",
            UnitKind::Miasto => "town in an urban-rural municipality",
            UnitKind::ObszarWiejski => "rural area of an urban-rural municipality",
            UnitKind::Dzielnica => "district",
            UnitKind::Delegatura => "delegation (city district)",
        }
    }

    /// The TERYT RODZ digit of gmina-level kinds.
    pub fn rodz(self) -> Option<char> {
        Some(match self {
            UnitKind::GminaMiejska => '1',
            UnitKind::GminaWiejska => '2',
            UnitKind::GminaMiejskoWiejska => '3',
            UnitKind::Miasto => '4',
            UnitKind::ObszarWiejski => '5',
            UnitKind::Dzielnica => '8',
            UnitKind::Delegatura => '9',
            _ => return None,
        })
    }

    /// The gmina-level kind of a RODZ digit.
    pub fn from_rodz(rodz: char) -> Option<Self> {
        Some(match rodz {
            '1' => UnitKind::GminaMiejska,
            '2' => UnitKind::GminaWiejska,
            '3' => UnitKind::GminaMiejskoWiejska,
            '4' => UnitKind::Miasto,
            '5' => UnitKind::ObszarWiejski,
            '8' => UnitKind::Dzielnica,
            '9' => UnitKind::Delegatura,
            _ => return None,
        })
    }

    pub fn level(self) -> Level {
        match self {
            UnitKind::Kraj => Level::Kraj,
            UnitKind::Wojewodztwo => Level::Wojewodztwo,
            UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => Level::Powiat,
            _ => Level::Gmina,
        }
    }

    /// Whether units of this kind are local government units (JST). The country, the
    /// statistical parts of gminy and the districts of cities are not.
    pub fn is_jst(self) -> bool {
        !matches!(self, UnitKind::Kraj | UnitKind::Miasto | UnitKind::ObszarWiejski | UnitKind::Dzielnica | UnitKind::Delegatura)
    }

    /// Gminy proper (RODZ 1, 2, 3): the kinds whose code may change into one another while
    /// the unit stays the same.
    pub fn is_gmina(self) -> bool {
        matches!(self, UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska)
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_round_trip() {
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Ok(k));
        }
        let err = UnitKind::parse("gmina").expect_err("not a kind").to_string();
        assert!(err.contains("gmina_wiejska"), "{err}");
    }

    #[test]
    fn rodz_digits_map_to_kinds_and_back() {
        for r in ['1', '2', '3', '4', '5', '8', '9'] {
            let k = UnitKind::from_rodz(r).expect("valid rodz");
            assert_eq!(k.rodz(), Some(r));
        }
        assert_eq!(UnitKind::from_rodz('6'), None);
        assert!(UnitKind::GminaMiejskoWiejska.is_jst());
        assert!(!UnitKind::ObszarWiejski.is_jst());
    }
}
