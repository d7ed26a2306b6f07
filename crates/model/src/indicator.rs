//! Indicator metadata that the engine needs to judge values: polarity.

use std::fmt;

/// Which direction is good for an indicator. Ranks put the best first; for a neutral
/// indicator rank 1 is simply the highest value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Polarity {
    HigherBetter,
    LowerBetter,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown polarity `{0}`; valid: higher_better, lower_better, neutral")]
pub struct PolarityError(pub String);

impl Polarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::HigherBetter => "higher_better",
            Polarity::LowerBetter => "lower_better",
            Polarity::Neutral => "neutral",
        }
    }

    pub fn parse(s: &str) -> Result<Self, PolarityError> {
        match s.trim() {
            "higher_better" => Ok(Polarity::HigherBetter),
            "lower_better" => Ok(Polarity::LowerBetter),
            "neutral" => Ok(Polarity::Neutral),
            other => Err(PolarityError(other.to_owned())),
        }
    }
}

impl fmt::Display for Polarity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polarity_names_round_trip() {
        for p in [Polarity::HigherBetter, Polarity::LowerBetter, Polarity::Neutral] {
            assert_eq!(Polarity::parse(p.as_str()), Ok(p));
        }
        assert!(Polarity::parse("better").is_err());
    }
}
