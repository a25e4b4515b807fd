//! Table definitions shared by both backends (kept by hand in step with
//! `migrations/sqlite` and `migrations/postgres`, which hold the same DDL).

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        return_due_rule -> Nullable<Text>,
        return_due_days -> Nullable<Integer>,
        publisher_org_id -> Nullable<Text>,
        grant_prefix -> Nullable<Text>,
        ocid_prefix -> Nullable<Text>,
        publisher_name -> Nullable<Text>,
        contracts_threshold_pence -> BigInt,
        spend_threshold_pence -> BigInt,
        publication_enabled -> Bool,
    }
}

diesel::table! {
    funding_streams (id) {
        id -> Text,
        organisation_id -> Text,
        code -> Text,
        name -> Text,
        funder -> Text,
        ringfenced -> Bool,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        return_due_days -> Nullable<Integer>,
        return_due_rule -> Nullable<Text>,
    }
}

diesel::table! {
    stream_budgets (funding_stream_id, financial_year) {
        funding_stream_id -> Text,
        financial_year -> Text,
        amount_pence -> BigInt,
        status -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    providers (id) {
        id -> Text,
        organisation_id -> Text,
        name -> Text,
        kind -> Text,
        charity_number -> Nullable<Text>,
        company_number -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_key -> Nullable<Text>,
        org_id -> Nullable<Text>,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        organisation_id -> Text,
        provider_id -> Text,
        kind -> Text,
        reference -> Nullable<Text>,
        title -> Text,
        purpose -> Nullable<Text>,
        start_date -> Date,
        end_date -> Date,
        value_pence -> BigInt,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        return_due_days -> Nullable<Integer>,
        return_due_rule -> Nullable<Text>,
    }
}

diesel::table! {
    funding_lines (id) {
        id -> Text,
        contract_id -> Text,
        funding_stream_id -> Text,
        financial_year -> Text,
        amount_pence -> BigInt,
        created_at -> Timestamp,
        profiled -> Bool,
    }
}

diesel::table! {
    contract_variations (id) {
        id -> Text,
        contract_id -> Text,
        kind -> Text,
        value_before_pence -> BigInt,
        value_after_pence -> BigInt,
        end_date_before -> Date,
        end_date_after -> Date,
        status_before -> Text,
        status_after -> Text,
        reason -> Text,
        decision_reference -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        contract_id -> Text,
        funding_stream_id -> Text,
        amount_pence -> BigInt,
        paid_on -> Date,
        financial_year -> Text,
        quarter -> Text,
        reference -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        reverses_payment_id -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    outcome_measures (id) {
        id -> Text,
        organisation_id -> Text,
        funding_stream_id -> Nullable<Text>,
        contract_id -> Nullable<Text>,
        code -> Text,
        label -> Text,
        unit -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        required -> Bool,
    }
}

diesel::table! {
    outcome_returns (id) {
        id -> Text,
        organisation_id -> Text,
        contract_id -> Text,
        financial_year -> Text,
        quarter -> Text,
        status -> Text,
        referrals -> Nullable<BigInt>,
        people_supported -> Nullable<BigInt>,
        spend_pence -> BigInt,
        narrative -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        query_comment -> Nullable<Text>,
        first_submitted_at -> Nullable<Timestamp>,
        received_on -> Nullable<Date>,
    }
}

diesel::table! {
    outcome_return_versions (id) {
        id -> Text,
        outcome_return_id -> Text,
        version -> Integer,
        event -> Text,
        status -> Text,
        figures -> Text,
        comment -> Nullable<Text>,
        actor -> Text,
        actor_role -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        organisation_id -> Text,
        actor -> Text,
        actor_role -> Text,
        action -> Text,
        resource_type -> Text,
        resource_id -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (organisation_id, actor, idempotency_key) {
        organisation_id -> Text,
        actor -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        location -> Nullable<Text>,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outcome_return_values (outcome_return_id, outcome_measure_id) {
        outcome_return_id -> Text,
        outcome_measure_id -> Text,
        value -> Nullable<BigInt>,
    }
}

diesel::table! {
    commitment_quarters (funding_line_id, quarter) {
        funding_line_id -> Text,
        quarter -> Text,
        contract_id -> Text,
        provider_id -> Text,
        funding_stream_id -> Text,
        financial_year -> Text,
        amount_pence -> BigInt,
    }
}

diesel::table! {
    funding_line_quarters (funding_line_id, quarter) {
        funding_line_id -> Text,
        quarter -> Text,
        amount_pence -> BigInt,
    }
}

diesel::table! {
    contract_publication (contract_id) {
        contract_id -> Text,
        description -> Nullable<Text>,
        procurement_route -> Nullable<Text>,
        sme -> Nullable<Bool>,
        vcse -> Nullable<Bool>,
        beneficiary_locations -> Text,
        grant_conditions -> Nullable<Text>,
        grant_reasons -> Nullable<Text>,
        awarded_on -> Nullable<Date>,
        review_date -> Nullable<Date>,
        withheld -> Bool,
        withheld_reason -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(contract_publication -> contracts (contract_id));
diesel::joinable!(funding_line_quarters -> funding_lines (funding_line_id));
diesel::joinable!(funding_streams -> organisations (organisation_id));
diesel::joinable!(stream_budgets -> funding_streams (funding_stream_id));
diesel::joinable!(providers -> organisations (organisation_id));
diesel::joinable!(contracts -> providers (provider_id));
diesel::joinable!(funding_lines -> contracts (contract_id));
diesel::joinable!(funding_lines -> funding_streams (funding_stream_id));
diesel::joinable!(contract_variations -> contracts (contract_id));
diesel::joinable!(payments -> contracts (contract_id));
diesel::joinable!(outcome_returns -> contracts (contract_id));
diesel::joinable!(outcome_return_values -> outcome_returns (outcome_return_id));
diesel::joinable!(outcome_return_values -> outcome_measures (outcome_measure_id));
diesel::joinable!(commitment_quarters -> funding_streams (funding_stream_id));
diesel::joinable!(commitment_quarters -> contracts (contract_id));
diesel::joinable!(outcome_return_versions -> outcome_returns (outcome_return_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    funding_streams,
    stream_budgets,
    providers,
    contracts,
    funding_lines,
    contract_variations,
    payments,
    outcome_measures,
    outcome_returns,
    outcome_return_values,
    outcome_return_versions,
    audit_events,
    idempotency_keys,
    commitment_quarters,
    funding_line_quarters,
    contract_publication,
);
