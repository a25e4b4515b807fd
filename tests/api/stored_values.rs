//! A stored value the service does not know (written by a newer release, or
//! by hand) is an internal error when read, never taken for another value.

use commissioning::auth::Scope;
use commissioning::db;
use commissioning::error::{AppError, ErrorChain};
use diesel::connection::SimpleConnection;

use crate::helpers::{parse_id, spawn_app, Backend, TestApp};

/// Writes `value` into `table.column` of the row `id`, past the column's
/// CHECK constraint, as a later release or a hand edit might.
fn store_unknown(
    app: &TestApp,
    backend: Backend,
    table: &str,
    column: &str,
    id: &str,
    value: &str,
) {
    let mut conn = db::connect_one(&app.database_url).expect("connect");
    let lift_check = match backend {
        Backend::Sqlite => "PRAGMA ignore_check_constraints = ON;".to_owned(),
        Backend::Postgres => {
            format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_check;")
        }
    };
    conn.batch_execute(&format!(
        "{lift_check} UPDATE {table} SET {column} = '{value}' WHERE id = '{id}'"
    ))
    .expect("store an unknown value");
}

async fn an_unknown_stored_value_is_an_internal_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &stream, "10.00").await;

    store_unknown(&app, backend, "contracts", "status", &contract, "suspended");
    for path in [format!("contracts/{contract}"), "contracts".to_owned()] {
        let reply = app.get(&path, &token).await.expect_problem(500, None);
        assert_eq!(
            reply.body["detail"], "something went wrong; it has been logged",
            "{path}"
        );
        assert!(
            !reply.body.to_string().contains("suspended"),
            "the cause stays in the log: {}",
            reply.body
        );
    }

    // The cause, kept for the log, names the column, the type and the text.
    let mut conn = db::connect_one(&app.database_url).expect("connect");
    let scope = Scope::organisation(parse_id(&app.organisation_id));
    match db::contracts::get(&mut conn, &scope, parse_id(&contract)) {
        Err(error @ AppError::Internal { .. }) => {
            let chain = ErrorChain(&error).to_string();
            assert!(
                chain.contains("'status'")
                    && chain.contains("\"suspended\" is not a ContractStatus"),
                "{chain}"
            );
        }
        other => panic!("expected an internal error, got {other:?}"),
    }

    store_unknown(&app, backend, "providers", "kind", &provider, "trust");
    app.get(&format!("providers/{provider}"), &token)
        .await
        .expect_problem(500, None);
}

crate::on_both_backends!(an_unknown_stored_value_is_an_internal_error);
