//! Publication over a seeded commissioning year, on both backends: the
//! 360Giving package and flat CSV, the OCDS release package and the three
//! transparency registers, each validated against its official schema
//! (`tests/fixtures/standards`), their totals against the budget report's,
//! the withheld grant absent from every one, the register thresholds at
//! their edges, and the public routes, which serve nothing until an admin
//! switches publication on.
//!
//! The year (2022-23, the multi-year contract running into 2023-24):
//! - streams VSS (Ministry of Justice), DA (Home Office), SS (Home Office,
//!   Safer Streets);
//! - G1: a grant to Rubicon Cares (charity) part-funded by VSS 25,000.00 and
//!   DA 15,000.00, with its conditions and reasons;
//! - G2: 8,000.00 (VSS) to a residents' group with no registered number;
//! - G3: 45,000.00 (SS) to Kent County Council (org-id GB-LAE-KEN) for the
//!   four Safer Streets districts;
//! - G4: 30,000.00 (DA) to a refuge, withheld, with a payment;
//! - C1: a contract with Oasis Services Ltd, July 2022 to March 2024, VSS
//!   and DA in both years (180,000.00), varied up by 10,000.00, paid three
//!   times (25,000.00, 400.00 and 500.01);
//! - C2: 24,000.00 (VSS) with Dandelion Time, terminated at the end of
//!   September with its commitment after then released, paid 500.00;
//! - C3: exactly 10,000.00 (VSS): at the contracts threshold, not over it.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use commissioning::auth::Role;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

crate::on_both_backends!(
    a_seeded_year_publishes_valid_documents_that_add_up,
    public_routes_serve_nothing_until_publication_is_on,
    publication_settings_and_details_are_checked,
    no_csv_cell_carries_a_formula,
    each_publication_path_answers_one_media_type,
);

const GRANT_PREFIX: &str = "360G-opcc-test";
const OCID_PREFIX: &str = "ocds-t3st00";
const ORG_ID: &str = "GB-GOR-PC000123";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/standards/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("a JSON schema")
}

/// RFC 7386 JSON Merge Patch, as OCDS applies an extension.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Every error of a 360Giving package against the 1.4.3 package schema.
fn threesixty_errors(document: &Value) -> Vec<String> {
    let grant = fixture("360giving-1.4.3-360-giving-schema.json");
    let package = fixture("360giving-1.4.3-360-giving-package-schema.json");
    let registry = jsonschema::Registry::new()
        .add(
            "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
            jsonschema::Draft::Draft202012.create_resource(grant),
        )
        .expect("the grant schema registers")
        .prepare()
        .expect("the registry is ready");
    let validator = jsonschema::draft202012::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .offline()
        .build(&package)
        .expect("the package schema compiles");
    errors(&validator, document)
}

/// Every error of an OCDS release package against 1.1.5 with the budget
/// breakdown extension merged in.
fn ocds_errors(document: &Value) -> Vec<String> {
    let mut release = fixture("ocds-1.1.5-release-schema.json");
    merge_patch(
        &mut release,
        &fixture("ocds_budget_breakdown_extension-release-schema.json"),
    );
    let id = release["id"]
        .as_str()
        .expect("the release schema's id")
        .to_owned();
    let package = fixture("ocds-1.1.5-release-package-schema.json");
    let registry = jsonschema::Registry::new()
        .add(&id, jsonschema::Draft::Draft4.create_resource(release))
        .expect("the release schema registers")
        .prepare()
        .expect("the registry is ready");
    let validator = jsonschema::draft4::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .offline()
        .build(&package)
        .expect("the package schema compiles");
    errors(&validator, document)
}

/// A JSON number or decimal string as an exact decimal.
fn decimal(value: &Value) -> Decimal {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Decimal::from_str(&text).unwrap_or_else(|_| panic!("not an amount: {value}"))
}

fn money(text: &str) -> Decimal {
    Decimal::from_str(text).expect("an amount")
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    app.post(path, token, body).await.expect(201).str("id")
}

/// Sets the organisation's publication settings (as its admin).
async fn settings(app: &TestApp, publication: Value) -> crate::helpers::Reply {
    let admin = app.token(Role::Admin);
    let path = format!("organisations/{}", app.organisation_id);
    let tag = app.etag(&path, &admin).await.expect("an ETag");
    app.send_if_match(
        "PATCH",
        &path,
        &admin,
        Some(&tag),
        Some(&json!({ "publication": publication })),
    )
    .await
}

async fn identify(app: &TestApp, enabled: bool) {
    settings(
        app,
        json!({"enabled": enabled, "org_id": ORG_ID, "grant_prefix": GRANT_PREFIX,
               "ocid_prefix": OCID_PREFIX, "publisher_name": "Test PCC"}),
    )
    .await
    .expect(200);
}

/// Records the contract's publication details.
async fn details(app: &TestApp, contract: &str, body: Value) {
    let path = format!("contracts/{contract}/publication");
    let tag = app.etag(&path, &app.commissioner()).await.expect("an ETag");
    app.send_if_match("PUT", &path, &app.commissioner(), Some(&tag), Some(&body))
        .await
        .expect(200);
}

struct Seeded {
    grants: BTreeMap<&'static str, String>,
    contracts: BTreeMap<&'static str, String>,
    /// Texts of the withheld grant that must appear nowhere.
    secrets: Vec<String>,
    /// The unregistered group's provider id.
    group: String,
}

async fn seed(app: &TestApp) -> Seeded {
    let commissioner = app.commissioner();
    let stream = |code: &str, funder: &str, budgets: Value| {
        json!({"code": code, "name": format!("Stream {code}"), "funder": funder,
               "ringfenced": false, "budgets": budgets})
    };
    let year = |y: &str, amount: &str| json!({"financial_year": y, "amount": amount, "status": "confirmed"});
    let vss = created(
        app,
        "funding-streams",
        &commissioner,
        stream(
            "VSS",
            "Ministry of Justice",
            json!([year("2022-23", "300000.00"), year("2023-24", "200000.00")]),
        ),
    )
    .await;
    let da = created(
        app,
        "funding-streams",
        &commissioner,
        stream(
            "DA",
            "Home Office",
            json!([year("2022-23", "200000.00"), year("2023-24", "150000.00")]),
        ),
    )
    .await;
    let ss = created(
        app,
        "funding-streams",
        &commissioner,
        stream("SS", "Home Office", json!([year("2022-23", "100000.00")])),
    )
    .await;
    let provider =
        |body: Value| async move { created(app, "providers", &app.commissioner(), body).await };
    let rubicon =
        provider(json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1123456"}))
            .await;
    let group = provider(json!({"name": "Hillside Residents Group", "kind": "other"})).await;
    let kent = provider(
        json!({"name": "Kent County Council", "kind": "local_authority", "org_id": "GB-LAE-KEN"}),
    )
    .await;
    let refuge = provider(
        json!({"name": "Sanctuary Refuge Hidden", "kind": "charity", "charity_number": "1199999"}),
    )
    .await;
    let oasis = provider(
        json!({"name": "Oasis Services Ltd", "kind": "company", "company_number": "01234567"}),
    )
    .await;
    let dandelion =
        provider(json!({"name": "Dandelion Time", "kind": "charity", "charity_number": "1098765"}))
            .await;

    let line = |stream: &str, y: &str, amount: &str| json!({"funding_stream_id": stream, "financial_year": y, "amount": amount});
    let award = |provider: &str,
                 kind: &str,
                 title: &str,
                 (start, end): (&str, &str),
                 value: &str,
                 lines: Value| {
        json!({"provider_id": provider, "kind": kind, "title": title, "start_date": start,
               "end_date": end, "value": value, "funding_lines": lines, "status": "active",
               "reference": format!("REF-{title}")})
    };
    let year_22 = ("2022-04-01", "2023-03-31");
    let mut grants = BTreeMap::new();
    grants.insert(
        "G1",
        created(
            app,
            "contracts",
            &commissioner,
            award(
                &rubicon,
                "grant",
                "Advocacy",
                year_22,
                "40000.00",
                json!([
                    line(&vss, "2022-23", "25000.00"),
                    line(&da, "2022-23", "15000.00")
                ]),
            ),
        )
        .await,
    );
    grants.insert(
        "G2",
        created(
            app,
            "contracts",
            &commissioner,
            award(
                &group,
                "grant",
                "Street watch",
                year_22,
                "8000.00",
                json!([line(&vss, "2022-23", "8000.00")]),
            ),
        )
        .await,
    );
    grants.insert(
        "G3",
        created(
            app,
            "contracts",
            &commissioner,
            award(
                &kent,
                "grant",
                "Safer Streets",
                year_22,
                "45000.00",
                json!([line(&ss, "2022-23", "45000.00")]),
            ),
        )
        .await,
    );
    let g4 = created(
        app,
        "contracts",
        &commissioner,
        award(
            &refuge,
            "grant",
            "Refuge beds",
            year_22,
            "30000.00",
            json!([line(&da, "2022-23", "30000.00")]),
        ),
    )
    .await;
    let mut contracts = BTreeMap::new();
    let c1 = created(
        app,
        "contracts",
        &commissioner,
        award(
            &oasis,
            "contract",
            "Independent advisers",
            ("2022-07-01", "2024-03-31"),
            "180000.00",
            json!([
                line(&vss, "2022-23", "60000.00"),
                line(&da, "2022-23", "40000.00"),
                line(&vss, "2023-24", "50000.00"),
                line(&da, "2023-24", "30000.00")
            ]),
        ),
    )
    .await;
    let c2 = created(
        app,
        "contracts",
        &commissioner,
        award(
            &dandelion,
            "contract",
            "Family support",
            year_22,
            "24000.00",
            json!([line(&vss, "2022-23", "24000.00")]),
        ),
    )
    .await;
    let c3 = created(
        app,
        "contracts",
        &commissioner,
        award(
            &rubicon,
            "contract",
            "Training",
            year_22,
            "10000.00",
            json!([line(&vss, "2022-23", "10000.00")]),
        ),
    )
    .await;
    contracts.insert("C1", c1.clone());
    contracts.insert("C2", c2.clone());
    contracts.insert("C3", c3.clone());

    details(app, &grants["G1"], json!({
        "description": "Independent advocacy for victims of domestic abuse",
        "procurement_route": "open", "vcse": true,
        "grant_conditions": "Quarterly outcome returns", "grant_reasons": "Reduces repeat victimisation"})).await;
    let districts = ["Thanet", "Swale", "Medway", "Dartford"].map(|name| {
        json!({"name": name, "geo_code": format!("E0700{}", name.len()), "geo_code_type": "LAD"})
    });
    details(
        app,
        &grants["G3"],
        json!({"beneficiary_locations": districts, "grant_reasons": "Safer streets"}),
    )
    .await;
    details(
        app,
        &g4,
        json!({"withheld": true, "withheld_reason": "The refuge's location must not be known"}),
    )
    .await;
    details(
        app,
        &c1,
        json!({"procurement_route": "selective", "sme": true, "vcse": false,
        "review_date": "2023-09-30"}),
    )
    .await;

    // C1 varied up by 10,000.00 in 2023-24.
    let lines: Vec<Value> = vec![
        line(&vss, "2022-23", "60000.00"),
        line(&da, "2022-23", "40000.00"),
        line(&vss, "2023-24", "50000.00"),
        line(&da, "2023-24", "40000.00"),
    ];
    app.post(
        &format!("contracts/{c1}/variations"),
        &commissioner,
        json!({"value": "190000.00", "funding_lines": lines, "reason": "More advisers",
               "decision_reference": "OPCC.D.014.23"}),
    )
    .await
    .expect(200);
    let finance = app.finance();
    let pay = |contract: String, stream: String, amount: &'static str, paid_on: &'static str| {
        let finance = finance.clone();
        async move {
            created(
                app,
                &format!("contracts/{contract}/payments"),
                &finance,
                json!({"amount": amount, "paid_on": paid_on, "funding_stream_id": stream}),
            )
            .await
        }
    };
    pay(c1.clone(), vss.clone(), "25000.00", "2022-08-01").await;
    pay(c1.clone(), vss.clone(), "400.00", "2022-09-01").await;
    pay(c1.clone(), da.clone(), "500.01", "2022-12-01").await;
    pay(c2.clone(), vss.clone(), "500.00", "2022-05-01").await;
    let secret_payment = pay(g4.clone(), da.clone(), "5000.00", "2022-06-01").await;
    pay(grants["G1"].clone(), vss.clone(), "12500.00", "2022-04-20").await;
    // C2 terminated at the end of September, its commitment after released.
    app.post(
        &format!("contracts/{c2}/status"),
        &commissioner,
        json!({"status": "terminated", "reason": "Provider ceased trading",
               "decision_reference": "OPCC.D.021.22", "effective_date": "2022-09-30",
               "release_commitment": true}),
    )
    .await
    .expect(200);
    Seeded {
        grants,
        contracts,
        secrets: vec![
            g4,
            refuge,
            secret_payment,
            "Sanctuary Refuge Hidden".to_owned(),
        ],
        group,
    }
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    app.get(path, token).await.expect(200).body
}

async fn get_csv(app: &TestApp, path: &str, token: &str) -> String {
    let (status, text) = app.get_text(path, token, "*/*").await;
    assert_eq!(status, 200, "{path}: {text}");
    text
}

/// The budget report's committed and paid, per year.
async fn report(app: &TestApp) -> BTreeMap<String, (Decimal, Decimal)> {
    let body = get_json(
        app,
        "reports/budget?from=2022-23&to=2023-24",
        &app.finance(),
    )
    .await;
    body["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| {
            let figures = y;
            (
                y["financial_year"].as_str().expect("a year").to_owned(),
                (decimal(&figures["committed"]), decimal(&figures["paid"])),
            )
        })
        .collect()
}

async fn a_seeded_year_publishes_valid_documents_that_add_up(backend: Backend) {
    let app = spawn_app(backend).await;
    identify(&app, false).await;
    let seeded = seed(&app).await;
    let finance = app.finance();
    let year = "financial_year=2022-23";

    // 360Giving: valid, the three published grants, ids under the prefix.
    let grants = get_json(&app, &format!("publish/360giving?{year}"), &finance).await;
    assert_eq!(threesixty_errors(&grants), Vec::<String>::new(), "{grants}");
    let by_id: BTreeMap<String, &Value> = grants["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| (g["id"].as_str().expect("an id").to_owned(), g))
        .collect();
    let expected: BTreeSet<String> = seeded
        .grants
        .values()
        .map(|id| format!("{GRANT_PREFIX}-{id}"))
        .collect();
    assert_eq!(by_id.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let g1 = by_id[&format!("{GRANT_PREFIX}-{}", seeded.grants["G1"])];
    assert_eq!(g1["recipientOrganization"][0]["id"], "GB-CHC-1123456");
    assert_eq!(g1["fundingOrganization"][0]["id"], ORG_ID);
    assert_eq!(g1["fundingOrganization"][0]["name"], "Test PCC");
    let programmes: Vec<&str> = g1["grantProgramme"]
        .as_array()
        .expect("programmes")
        .iter()
        .map(|p| p["code"].as_str().expect("a code"))
        .collect();
    assert_eq!(programmes, ["DA", "VSS"], "part-funded by two streams");
    assert_eq!(decimal(&g1["amountDisbursed"]), money("12500.00"));
    assert_eq!(g1["fromOpenCall"], "Yes");
    assert_eq!(
        g1["description"],
        "Independent advocacy for victims of domestic abuse"
    );
    let g2 = by_id[&format!("{GRANT_PREFIX}-{}", seeded.grants["G2"])];
    assert_eq!(
        g2["recipientOrganization"][0]["id"],
        format!("{GRANT_PREFIX}-{}", seeded.group),
        "an unregistered recipient gets an id under the publisher's prefix"
    );
    let g3 = by_id[&format!("{GRANT_PREFIX}-{}", seeded.grants["G3"])];
    assert_eq!(g3["recipientOrganization"][0]["id"], "GB-LAE-KEN");
    assert_eq!(g3["beneficiaryLocation"].as_array().map(Vec::len), Some(4));
    assert!(grants["description"]
        .as_str()
        .is_some_and(|d| d.contains("1 record was withheld")));

    // The flat CSV: the standard's titles, one row per grant.
    let csv = get_csv(&app, &format!("publish/360giving.csv?{year}"), &finance).await;
    let header = csv.lines().next().expect("a header");
    for title in [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:0:Title",
        "Grant Programme:1:Title",
        "Planned Dates:Start Date",
        "Beneficiary Location:3:Name",
    ] {
        assert!(header.split(',').any(|h| h == title), "{title} in {header}");
    }
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // OCDS: valid with the extension, one ocid per contract.
    let ocds = get_json(&app, &format!("publish/ocds?{year}"), &finance).await;
    assert_eq!(ocds_errors(&ocds), Vec::<String>::new(), "{ocds}");
    assert_eq!(
        ocds["extensions"][0],
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/extension.json"
    );
    let releases = ocds["releases"].as_array().expect("releases");
    let ocids: BTreeSet<&str> = releases
        .iter()
        .map(|r| r["ocid"].as_str().expect("ocid"))
        .collect();
    let expected: BTreeSet<String> = seeded
        .contracts
        .values()
        .map(|id| format!("{OCID_PREFIX}-{id}"))
        .collect();
    assert_eq!(
        ocids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        expected
    );
    let of = |name: &str, tag: &str| -> Vec<&Value> {
        let ocid = format!("{OCID_PREFIX}-{}", seeded.contracts[name]);
        releases
            .iter()
            .filter(|r| {
                r["ocid"] == ocid.as_str()
                    && r["tag"].as_array().is_some_and(|t| t.contains(&json!(tag)))
            })
            .collect()
    };
    let c1_award = of("C1", "award");
    assert_eq!(c1_award.len(), 1);
    let breakdown = c1_award[0]["planning"]["budget"]["budgetBreakdown"]
        .as_array()
        .expect("breakdown");
    assert_eq!(breakdown.len(), 4, "one entry per funding line");
    assert!(breakdown.iter().all(|b| b["sourceParty"]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("funder-"))));
    let roles: Vec<&Value> = c1_award[0]["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| &p["roles"])
        .collect();
    assert!(
        roles.contains(&&json!(["buyer", "payer"]))
            && roles.contains(&&json!(["supplier", "payee"]))
    );
    assert!(roles.contains(&&json!(["funder", "sourceParty"])));
    assert_eq!(
        decimal(&c1_award[0]["awards"][0]["value"]["amount"]),
        money("180000.00")
    );
    let amendments = of("C1", "contractAmendment");
    assert_eq!(amendments.len(), 1);
    assert_eq!(
        decimal(&amendments[0]["contracts"][0]["value"]["amount"]),
        money("190000.00")
    );
    let payments = of("C1", "implementation");
    assert_eq!(
        payments[0]["contracts"][0]["implementation"]["transactions"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let ended = of("C2", "contractTermination");
    assert_eq!(ended.len(), 1);
    let said = ended[0]["contracts"][0]["amendments"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(said.contains("OPCC.D.021.22"), "{said}");
    assert_eq!(ocds["withheld"]["count"], 0);

    // The totals equal the budget report's: each year's commitment is the
    // grants' lines (every grant here is one 2022-23 line set), the
    // contracts' budget breakdown for the year, and the withheld grant.
    let report = report(&app).await;
    let mut committed: BTreeMap<String, Decimal> = BTreeMap::new();
    for release in releases.iter().filter(|r| {
        r["tag"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("award")))
    }) {
        for entry in release["planning"]["budget"]["budgetBreakdown"]
            .as_array()
            .expect("breakdown")
        {
            let description = entry["description"].as_str().expect("a description");
            let year = &description[description.len() - 7..];
            *committed.entry(year.to_owned()).or_default() += decimal(&entry["amount"]["amount"]);
        }
    }
    let grants_total: Decimal = by_id.values().map(|g| decimal(&g["amountAwarded"])).sum();
    let withheld = money("30000.00");
    assert_eq!(
        committed["2022-23"] + grants_total + withheld,
        report["2022-23"].0
    );
    assert_eq!(committed["2023-24"], report["2023-24"].0);

    // Registers: grants with conditions and reasons; contracts split at the
    // threshold (over 10,000.00); spend over 500.00.
    let register = get_json(&app, &format!("publish/registers/grants?{year}"), &finance).await;
    let listed: BTreeSet<&str> = register["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| g["identifier"].as_str().expect("an identifier"))
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(decimal(&register["total"]), grants_total);
    assert_eq!(register["withheld"], 1);
    let g1_entry = register["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["recipient"] == "Rubicon Cares")
        .expect("G1 listed");
    assert_eq!(g1_entry["conditions"], "Quarterly outcome returns");
    assert_eq!(g1_entry["reasons"], "Reduces repeat victimisation");

    let register = get_json(
        &app,
        &format!("publish/registers/contracts?{year}"),
        &finance,
    )
    .await;
    let over: BTreeSet<String> = register["contracts"]
        .as_array()
        .expect("contracts")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect();
    let under: BTreeSet<String> = register["at_or_under_threshold"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect();
    // Each contract is over exactly when its value now is over 10,000.00.
    for (name, id) in &seeded.contracts {
        let value = decimal(&get_json(&app, &format!("contracts/{id}"), &finance).await["value"]);
        let is_over = value > money("10000.00");
        assert_eq!(over.contains(id), is_over, "{name} worth {value}");
        assert_eq!(under.contains(id), !is_over, "{name} worth {value}");
    }
    assert!(
        under.contains(&seeded.contracts["C3"]),
        "exactly at the threshold is not over it"
    );
    let c1_entry = register["contracts"]
        .as_array()
        .expect("contracts")
        .iter()
        .find(|c| c["id"] == seeded.contracts["C1"].as_str())
        .expect("C1 listed");
    assert_eq!(c1_entry["supplier_registration_number"], "01234567");
    assert_eq!(
        (
            c1_entry["sme"].clone(),
            c1_entry["procurement_route"].clone()
        ),
        (json!(true), json!("selective"))
    );

    let spend = get_json(&app, &format!("publish/registers/spend?{year}"), &finance).await;
    let amounts: BTreeSet<Decimal> = spend["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| decimal(&p["amount"]))
        .collect();
    assert_eq!(
        amounts,
        [money("25000.00"), money("500.01"), money("12500.00")]
            .into_iter()
            .collect(),
        "over 500.00 only, and not the withheld grant's"
    );
    assert_eq!(spend["under_threshold_count"], 2);
    assert_eq!(decimal(&spend["under_threshold_total"]), money("900.00"));
    assert_eq!(spend["withheld"], 1);
    assert_eq!(
        decimal(&spend["total"]) + money("5000.00"),
        report["2022-23"].1
    );
    // A quarter: July to September holds the 25,000.00 (and the 400.00 under it).
    let q2 = get_json(
        &app,
        &format!("publish/registers/spend?{year}&quarter=Q2"),
        &finance,
    )
    .await;
    assert_eq!(q2["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(q2["under_threshold_count"], 1);

    // The withheld grant appears in no document, in either format.
    let mut texts = vec![grants.to_string(), csv, ocds.to_string()];
    for register in ["grants", "contracts", "spend"] {
        texts.push(
            get_json(
                &app,
                &format!("publish/registers/{register}?{year}"),
                &finance,
            )
            .await
            .to_string(),
        );
        texts.push(
            get_csv(
                &app,
                &format!("publish/registers/{register}.csv?{year}"),
                &finance,
            )
            .await,
        );
    }
    for text in &texts {
        for secret in &seeded.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} published in {text}"
            );
        }
    }

    // Ids (and the whole document) are stable across calls.
    let again = get_json(&app, &format!("publish/360giving?{year}"), &finance).await;
    assert_eq!(again, grants);
    let again = get_json(&app, &format!("publish/ocds?{year}"), &finance).await;
    assert_eq!(again, ocds);
}

/// The public documents, as a client without a token sees them.
fn public_paths(organisation: &str) -> Vec<String> {
    [
        "360giving.json",
        "360giving.csv",
        "ocds.json",
        "registers/grants.csv",
        "registers/contracts.csv",
        "registers/spend.csv",
        "registers/spend.json",
    ]
    .iter()
    .map(|file| format!("/public/{organisation}/{file}"))
    .collect()
}

async fn public_routes_serve_nothing_until_publication_is_on(backend: Backend) {
    let app = spawn_app(backend).await;
    identify(&app, false).await;
    let seeded = seed(&app).await;
    for path in public_paths(&app.organisation_id) {
        app.send("GET", &path, None, None)
            .await
            .expect_problem(404, None);
    }
    // An organisation that does not exist reads the same.
    for path in public_paths("01900000-0000-7000-8000-00000000beef") {
        app.send("GET", &path, None, None)
            .await
            .expect_problem(404, None);
    }

    identify(&app, true).await;
    let client = awc::Client::default();
    for path in public_paths(&app.organisation_id) {
        let reply = app.send("GET", &path, None, None).await.expect(200);
        let text = match &reply.body {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        for secret in &seeded.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} published at {path}"
            );
        }
        // Cache headers, and a conditional GET answered 304.
        let mut response = client.get(app.url(&path)).send().await.expect("a response");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag").expect("an ETag");
        assert!(header("last-modified").is_some(), "{path}: Last-Modified");
        assert_eq!(
            header("cache-control").as_deref(),
            Some("public, max-age=300")
        );
        let _ = response.body().await;
        let response = client
            .get(app.url(&path))
            .insert_header(("If-None-Match", etag))
            .send()
            .await
            .expect("a response");
        assert_eq!(response.status().as_u16(), 304, "{path}");
    }
    // Exactly the published documents: the public package is the team's
    // own for the same period, and every year's without one.
    let year = "financial_year=2022-23";
    let own = get_json(&app, &format!("publish/360giving?{year}"), &app.finance()).await;
    let public = app
        .send(
            "GET",
            &format!("/public/{}/360giving.json?{year}", app.organisation_id),
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(public, own);
    let all = app
        .send(
            "GET",
            &format!("/public/{}/360giving.json", app.organisation_id),
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(all["grants"], own["grants"]);
    assert_eq!(threesixty_errors(&all), Vec::<String>::new());
    let ocds = app
        .send(
            "GET",
            &format!("/public/{}/ocds.json", app.organisation_id),
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ocds_errors(&ocds), Vec::<String>::new());
    let own = get_json(&app, &format!("publish/ocds?{year}"), &app.finance()).await;
    assert_eq!(ocds["releases"], own["releases"]);

    // Switched off again, nothing is served.
    settings(&app, json!({"enabled": false})).await.expect(200);
    for path in public_paths(&app.organisation_id) {
        app.send("GET", &path, None, None)
            .await
            .expect_problem(404, None);
    }
}

async fn publication_settings_and_details_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    // On without the identifiers every document needs: refused, naming them.
    let reply = settings(&app, json!({"enabled": true, "org_id": ORG_ID})).await;
    let reply = reply.expect_problem(422, Some("publication.grant_prefix"));
    assert!(reply.body.to_string().contains("publication.ocid_prefix"));
    settings(&app, json!({"grant_prefix": "opcc"}))
        .await
        .expect_problem(422, Some("publication.grant_prefix"));
    // Without them a document cannot be made: 409 says what to set.
    app.get("publish/360giving?financial_year=2022-23", &app.finance())
        .await
        .expect_problem(409, None);
    identify(&app, false).await;
    // Providers publish nothing; a period is needed with a token.
    let provider = app.provider("Rubicon Cares").await;
    let own = app.provider_token(&provider);
    app.get("publish/360giving?financial_year=2022-23", &own)
        .await
        .expect_problem(403, None);
    app.get("publish/360giving", &app.finance())
        .await
        .expect_problem(422, Some("financial_year"));
    app.get("publish/registers/spend?quarter=Q1", &app.finance())
        .await
        .expect_problem(422, Some("quarter"));
    app.get(
        "publish/ocds?financial_year=2022-23&format=csv",
        &app.finance(),
    )
    .await
    .expect_problem(422, Some("format"));
    app.get(
        "publish/registers/payroll?financial_year=2022-23",
        &app.finance(),
    )
    .await
    .expect_problem(404, None);

    // A contract's details: If-Match, a reason to withhold, locations checked.
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let grant = app.grant(&provider, &stream, "1000.00").await;
    let path = format!("contracts/{grant}/publication");
    let commissioner = app.commissioner();
    let body = json!({"withheld": true, "withheld_reason": "Refuge"});
    app.send("PUT", &path, Some(&commissioner), Some(&body))
        .await
        .expect_problem(428, None);
    let tag = app.etag(&path, &commissioner).await.expect("an ETag");
    app.send_if_match(
        "PUT",
        &path,
        &commissioner,
        Some(&tag),
        Some(&json!({"withheld": true})),
    )
    .await
    .expect_problem(422, Some("withheld_reason"));
    app.send_if_match(
        "PUT",
        &path,
        &commissioner,
        Some(&tag),
        Some(&json!({"beneficiary_locations": [{"name": "Thanet", "geo_code_type": "LAD"}]})),
    )
    .await
    .expect_problem(422, Some("beneficiary_locations[0].geo_code"));
    let unchanged = app.get(&path, &commissioner).await.expect(200);
    assert_eq!(unchanged.body["withheld"], false);
    assert_eq!(unchanged.body["updated_at"], Value::Null);
    let changed = app
        .send_if_match(
            "PUT",
            &path,
            &commissioner,
            Some(&tag),
            Some(&json!({"withheld": true, "withheld_reason": "Refuge"})),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["withheld"], true);
    app.send_if_match("PUT", &path, &commissioner, Some(&tag), Some(&json!({})))
        .await
        .expect_problem(412, None);
    // The finance team and the provider may read it; only commissioners change it.
    app.get(&path, &app.finance()).await.expect(200);
    app.get(&path, &own).await.expect(200);
    app.put(&path, &app.finance(), json!({}))
        .await
        .expect_problem(403, None);
}

/// A CSV's rows as maps from heading to cell, read as a spreadsheet would
/// split them (quotes and all).
fn csv_records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed row");
            header
                .iter()
                .zip(record.iter())
                .map(|(h, c)| (h.to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

/// Text someone typed that a spreadsheet would run as a formula reaches no
/// CSV as one: each such text cell starts with `'`, while amounts (a
/// reversal's negative one too) and dates are written as they are.
async fn no_csv_cell_carries_a_formula(backend: Backend) {
    let app = spawn_app(backend).await;
    identify(&app, true).await;
    let commissioner = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = created(
        &app,
        "providers",
        &commissioner,
        json!({"name": "-Minus Charity", "kind": "charity", "charity_number": "1123456"}),
    )
    .await;
    let grant = created(
        &app,
        "contracts",
        &commissioner,
        json!({"provider_id": provider, "kind": "grant", "title": "+Advocacy",
               "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "5000.00",
               "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23",
                                  "amount": "5000.00"}],
               "status": "active", "reference": "@REF-1"}),
    )
    .await;
    details(
        &app,
        &grant,
        json!({"description": "@SUM(A1:A9)",
               "beneficiary_locations": [{"name": "Thanet", "geo_code": "=1+1",
                                          "geo_code_type": "LAD"}]}),
    )
    .await;
    let finance = app.finance();
    let payment = created(
        &app,
        &format!("contracts/{grant}/payments"),
        &finance,
        json!({"amount": "1000.00", "paid_on": "2022-07-15", "reference": "=HYPERLINK(\"x\")"}),
    )
    .await;
    app.post(
        &format!("contracts/{grant}/payments/{payment}/reversal"),
        &finance,
        json!({"reversed_on": "2022-08-01", "reason": "Paid in error"}),
    )
    .await
    .expect(201);

    let year = "financial_year=2022-23";
    let private = get_csv(&app, &format!("publish/360giving.csv?{year}"), &finance).await;
    let public = app
        .send(
            "GET",
            &format!("/public/{}/360giving.csv?{year}", app.organisation_id),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(public.body, Value::String(private.clone()));
    let rows = csv_records(&private);
    assert_eq!(rows.len(), 1, "{private}");
    let grant_row = &rows[0];
    for (column, expected) in [
        ("Beneficiary Location:Geographic Code", "'=1+1"),
        ("Title", "'+Advocacy"),
        ("Description", "'@SUM(A1:A9)"),
        ("Recipient Org:Name", "'-Minus Charity"),
        ("Amount Awarded", "5000.00"),
        ("Beneficiary Location:Name", "Thanet"),
    ] {
        assert_eq!(grant_row[column], expected, "{column} in {private}");
    }

    // The spend register: the reversal's amount is a number, written as it
    // is; the payment's reference is text, neutralised.
    let spend = get_csv(
        &app,
        &format!("publish/registers/spend.csv?{year}"),
        &finance,
    )
    .await;
    let rows = csv_records(&spend);
    let amounts: BTreeSet<&str> = rows.iter().map(|r| r["Amount"].as_str()).collect();
    assert_eq!(amounts, BTreeSet::from(["1000.00", "-1000.00"]), "{spend}");
    let references: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["Payment Reference"].as_str())
        .collect();
    assert!(
        references.contains("'=HYPERLINK(\"x\")"),
        "{references:?} in {spend}"
    );
    assert!(rows.iter().all(|r| r["Recipient"] == "'-Minus Charity"));
    assert!(rows.iter().all(|r| r["Date"].starts_with("2022-")));

    // The reports' CSV, written by the same writer: the provider's name is
    // neutralised, its amounts are not.
    let (status, report) = app
        .get_text(
            &format!("reports/providers.csv?{year}"),
            &finance,
            "text/csv",
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let rows = csv_records(&report);
    assert!(
        rows.iter()
            .all(|r| r["provider_name"] == "'-Minus Charity" && r["awarded"] == "5000.00"),
        "{report}"
    );
}

/// As the reports: each document answers one media type at each path, JSON
/// or, at its `.csv` path, CSV (OCDS is JSON only), and a request whose
/// `Accept` rules that out gets 406; there is no `format` parameter.
async fn each_publication_path_answers_one_media_type(backend: Backend) {
    let app = spawn_app(backend).await;
    identify(&app, true).await;
    seed(&app).await;
    let finance = app.finance();
    let year = "financial_year=2022-23";
    let org = &app.organisation_id;
    let pairs = [
        (
            format!("publish/360giving?{year}"),
            Some(format!("publish/360giving.csv?{year}")),
        ),
        (
            format!("publish/registers/grants?{year}"),
            Some(format!("publish/registers/grants.csv?{year}")),
        ),
        (
            format!("publish/registers/contracts?{year}"),
            Some(format!("publish/registers/contracts.csv?{year}")),
        ),
        (
            format!("publish/registers/spend?{year}"),
            Some(format!("publish/registers/spend.csv?{year}")),
        ),
        (format!("publish/ocds?{year}"), None),
        (
            format!("/public/{org}/360giving.json?{year}"),
            Some(format!("/public/{org}/360giving.csv?{year}")),
        ),
        (
            format!("/public/{org}/registers/spend.json?{year}"),
            Some(format!("/public/{org}/registers/spend.csv?{year}")),
        ),
    ];
    for (json_path, csv_path) in &pairs {
        let (status, json) = app.get_text(json_path, &finance, "*/*").await;
        assert!(
            status == 200 && json.starts_with('{'),
            "{json_path}: {json}"
        );
        let csv = match csv_path {
            Some(path) => {
                let (status, csv) = app.get_text(path, &finance, "*/*").await;
                assert!(status == 200 && !csv.starts_with('{'), "{path}: {csv}");
                Some((path, csv))
            }
            None => None,
        };
        for (accept, json_ok, csv_ok) in [
            ("application/json", true, false),
            ("text/csv", false, true),
            ("text/*", false, true),
            ("text/csv;q=0, */*", true, false),
            ("text/html", false, false),
        ] {
            let (status, body) = app.get_text(json_path, &finance, accept).await;
            match json_ok {
                true => assert_eq!(
                    (status, body.as_str()),
                    (200, json.as_str()),
                    "{json_path} with Accept: {accept}"
                ),
                false => assert_eq!(status, 406, "{json_path} with Accept: {accept}: {body}"),
            }
            if let Some((path, csv)) = &csv {
                let (status, body) = app.get_text(path, &finance, accept).await;
                match csv_ok {
                    true => assert_eq!(
                        (status, body.as_str()),
                        (200, csv.as_str()),
                        "{path} with Accept: {accept}"
                    ),
                    false => assert_eq!(status, 406, "{path} with Accept: {accept}: {body}"),
                }
            }
        }
    }
    // The old way of asking for CSV is an unknown parameter now.
    for path in [
        "publish/360giving",
        "publish/registers/spend",
        "publish/ocds",
    ] {
        app.get(&format!("{path}?{year}&format=csv"), &finance)
            .await
            .expect_problem(422, Some("format"));
    }
    // OCDS has no CSV; nor has a register there is not.
    for path in ["publish/ocds.csv", "publish/registers/payroll.csv"] {
        app.get(&format!("{path}?{year}"), &finance)
            .await
            .expect_problem(404, None);
    }
}
