//! The portal's two languages: Polish by default, English by `?lang=en`; words, numbers and
//! the links that keep the language live in `compose::i18n` (the report and the CLI's files
//! use them too) and are re-exported here for the pages.

pub use compose::i18n::*;
