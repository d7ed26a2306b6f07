//! `miernik revert IMPORT_ID`: an import undone as a new import (source `revert`) that gives
//! every value it inserted or changed its previous value back, audited, in one transaction;
//! values changed again by a later import are left alone and reported.

use store::{RevertOutcome, Store, StoreError};

use crate::AppError;

/// The longest comment kept with a revert.
pub const MAX_COMMENT: usize = 1000;

/// Reverts import `import_id` as the store handle's actor (see [`store::Store::acting_as`]),
/// with `comment` (why) in the `revert` audit row. An unknown import is
/// [`AppError::NotFound`]; one that wrote no observations, or whose every value was changed
/// later, [`AppError::Invalid`]; either way nothing is written.
pub async fn revert_import(store: &Store, import_id: i64, comment: Option<&str>) -> Result<RevertOutcome, AppError> {
    if let Some(c) = comment
        && c.chars().count() > MAX_COMMENT
    {
        return Err(AppError::Invalid(format!(
            "komentarz jest dłuższy niż {MAX_COMMENT} znaków / the comment is longer than {MAX_COMMENT} characters"
        )));
    }
    if store.import_finished_at(import_id).await?.is_none() {
        return Err(AppError::NotFound(format!("nie ma importu {import_id} / there is no import {import_id}")));
    }
    match store.revert_import(import_id, comment).await {
        Ok(out) => Ok(out),
        Err(StoreError::Invalid(m)) => Err(AppError::Invalid(m)),
        Err(e) => Err(e.into()),
    }
}
