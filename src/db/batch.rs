//! Working with many rows at once, for imports and other bulk writes: how
//! many rows one `INSERT` writes, how many keys one `IN (...)` compares, and
//! an `INSERT` of many rows on either backend, a batch at a time.

use crate::error::AppError;

/// Rows written by one `INSERT`: few statements for a large file, well
/// inside both backends' limits on bound values.
pub const BATCH: usize = 500;

/// Values compared in one `IN (...)`: SQLite binds each one, and allows
/// 32,766 per statement.
pub const LOOKUP: usize = 5_000;

/// Runs an `INSERT` of many rows on the connection's own backend: the
/// multi-backend connection cannot write one statement of many rows.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres(pg) => {
                diesel::insert_into($table).values($rows).execute(pg)
            }
            $crate::db::DbConn::Sqlite(lite) => {
                diesel::insert_into($table).values($rows).execute(lite)
            }
        }
    };
}
pub(crate) use insert_rows;

/// Inserts the row `row` makes of each of `items` (a slice), [`BATCH`] rows
/// to a statement, as [`insert_rows`] does.
macro_rules! insert_each {
    ($conn:expr, $table:expr, $items:expr, $row:expr) => {
        $items.chunks($crate::db::batch::BATCH).try_for_each(
            |batch| -> Result<(), $crate::error::AppError> {
                let rows: Vec<_> = batch.iter().map($row).collect();
                $crate::db::batch::insert_rows!($conn, $table, rows)?;
                Ok(())
            },
        )
    };
}
pub(crate) use insert_each;

/// Runs `load` over `keys` a [`LOOKUP`] at a time and gathers what it finds.
pub fn in_chunks<K, T>(
    keys: &[K],
    mut load: impl FnMut(&[K]) -> Result<Vec<T>, AppError>,
) -> Result<Vec<T>, AppError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(LOOKUP) {
        found.extend(load(chunk)?);
    }
    Ok(found)
}
