//! The catalogue's references of variables (`variable_ref`): a re-import replaces the systems
//! the catalogue owns and leaves the others. A module of `store.rs`, whose
//! `on_both!` runs each story on SQLite and, when `MIERNIK_TEST_POSTGRES` names a server, on PostgreSQL.

use store::{CATALOGUE_REF_SYSTEMS, CatalogueIndicator, NewVariable, Store, StoreError};

fn var(code: &str, refs: &[(&str, &str)]) -> NewVariable {
    NewVariable {
        code: code.into(),
        name_pl: code.into(),
        name_en: None,
        measure_unit: Some("osoba".into()),
        source: None,
        refs: refs.iter().map(|(s, r)| ((*s).to_owned(), (*r).to_owned())).collect(),
    }
}

fn ind() -> Vec<CatalogueIndicator> {
    vec![CatalogueIndicator { code: "X".into(), area: "demografia".into(), kind: "context".into(), definition: "{}".into() }]
}

/// The refs by variable code, as (code, system, ref).
async fn refs_by_code(store: &Store) -> Vec<(String, String, String)> {
    let vars = store.variables().await.expect("variables");
    let mut out: Vec<(String, String, String)> = store
        .variable_refs()
        .await
        .expect("refs")
        .into_iter()
        .map(|(id, s, r)| (vars.iter().find(|v| v.id == id).expect("the ref's variable").code.clone(), s, r))
        .collect();
    out.sort();
    out
}

fn t(c: &str, s: &str, r: &str) -> (String, String, String) {
    (c.to_owned(), s.to_owned(), r.to_owned())
}

async fn a_reimport_replaces_the_catalogue_refs(store: Store) {
    let first = [
        var("ludnosc", &[("bdl_variable", "72305"), ("bdl_series", "P2137|ogółem|ogółem|osoba"), ("population_date", "31_xii")]),
        var("powierzchnia", &[("slowly_changing", "1")]),
        var("dochody", &[("mf_position", "dochody_ogolem")]),
    ];
    let c = store.import_catalogue("k.toml", "1", &first, &ind()).await.expect("first import");
    assert_eq!((c.variables_new, c.variables_updated), (3, 0));
    assert_eq!(
        refs_by_code(&store).await,
        vec![
            t("dochody", "mf_position", "dochody_ogolem"),
            t("ludnosc", "bdl_series", "P2137|ogółem|ogółem|osoba"),
            t("ludnosc", "bdl_variable", "72305"),
            t("ludnosc", "population_date", "31_xii"),
            t("powierzchnia", "slowly_changing", "1"),
        ]
    );
    // An observation import's own reference of a variable is not the catalogue's to replace.
    let mut imp = store.begin_observation_import("file", "LUDN_2137.csv").await.expect("begin");
    imp.create_variable(&var("p2137_70_i_wiecej", &[("bdl_subgroup", "P2137")])).await.expect("variable");
    imp.finish(0, 0, 0).await.expect("finish");

    // Unchanged: nothing counted as updated, nothing moves.
    let c = store.import_catalogue("k.toml", "1", &first, &ind()).await.expect("same again");
    assert_eq!((c.variables_new, c.variables_updated), (0, 0));

    // The series moves to another variable, the population date changes, `powierzchnia`
    // loses its flag and `dochody` is left out of the file.
    let second = [
        var("ludnosc", &[("bdl_variable", "72305"), ("population_date", "30_vi")]),
        var("ludnosc_31xii", &[("bdl_series", "P2137|ogółem|ogółem|osoba"), ("population_date", "31_xii")]),
        var("powierzchnia", &[]),
    ];
    let c = store.import_catalogue("k.toml", "2", &second, &ind()).await.expect("second import");
    assert_eq!((c.variables_new, c.variables_updated), (1, 2), "ludnosc and powierzchnia changed their refs");
    assert_eq!(
        refs_by_code(&store).await,
        vec![
            t("ludnosc", "bdl_variable", "72305"),
            t("ludnosc", "population_date", "30_vi"),
            t("ludnosc_31xii", "bdl_series", "P2137|ogółem|ogółem|osoba"),
            t("ludnosc_31xii", "population_date", "31_xii"),
            t("p2137_70_i_wiecej", "bdl_subgroup", "P2137"),
        ]
    );

    // A reference of a system the catalogue does not own is refused, and nothing is written.
    let bad = [var("ludnosc", &[("bdl_subgroup", "P1")])];
    let e = store.import_catalogue("k.toml", "3", &bad, &ind()).await.expect_err("a foreign system");
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("bdl_subgroup")), "{e}");
    assert_eq!(refs_by_code(&store).await.len(), 5);
    assert!(CATALOGUE_REF_SYSTEMS.contains(&"bdl_series"));
}

#[tokio::test]
async fn catalogue_refs_on_both_backends() {
    on_both!("t_", a_reimport_replaces_the_catalogue_refs, store only);
}
