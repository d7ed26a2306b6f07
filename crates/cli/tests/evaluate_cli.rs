//! `miernik evaluate` on the demo: the JSON's figures agree with each other and with the
//! exported values, the text says the verdict in Polish and English, the effects planted in
//! the demo (`app::demo_cycle::PLANTED`) are recovered inside the placebo interval, and bad
//! parameters fail with a message naming the flag.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

mod common;

use common::Db;

async fn demo() -> Db {
    let db = Db::new();
    let store = db.store().await;
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    store.close().await;
    db
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn mean_of(years: &[i64], series: &[serde_json::Value], from: i64, to: i64) -> f64 {
    let vals: Vec<f64> = years.iter().zip(series).filter(|(y, _)| (from..=to).contains(*y)).filter_map(|(_, v)| v.as_f64()).collect();
    assert!(!vals.is_empty(), "values in {from}–{to}");
    vals.iter().sum::<f64>() / vals.len() as f64
}

#[tokio::test]
async fn evaluate_prints_consistent_figures_recovers_the_planted_effects_and_names_bad_flags() {
    let db = demo().await;

    // --- JSON: the figures agree with each other and with the exported values.
    let (unit, indicator, start) = ("0201022", "EDU_01", 2019);
    let v = db.json(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", &start.to_string(), "--format", "json"]);
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert_eq!(v["unit"], unit);
    assert_eq!(v["indicator"], indicator);
    assert!(close(f("unit_change"), f("unit_after") - f("unit_before")));
    assert!(close(f("estimate"), f("unit_change") - f("peers_change")), "estimate = unit's change − peers' change");
    let (lo, hi) = (v["interval"][0].as_f64().unwrap(), v["interval"][1].as_f64().unwrap());
    assert!(lo <= hi);
    assert_eq!(v["stands_out"].as_bool().unwrap(), !(lo <= 0.0 && 0.0 <= hi), "stands out ⇔ 0 outside the interval");
    let n = v["n_peers"].as_u64().unwrap();
    assert!(n >= 5, "{n} peers");
    let p = f("p_value");
    assert!(p >= 1.0 / (1.0 + n as f64) - 1e-12 && p <= 1.0, "p = {p}");
    // EDU_01 is neutral: no better or worse, at most "differs".
    assert_eq!(v["polarity"], "neutral");
    let verdict = v["verdict"].as_str().unwrap();
    assert_eq!(verdict, if v["stands_out"].as_bool().unwrap() { "neutral" } else { "not_distinguishable" });
    // The unit's series are the exported values, and its before/after levels their means.
    let years: Vec<i64> = v["years"].as_array().unwrap().iter().map(|y| y.as_i64().unwrap()).collect();
    let series = v["unit_series"].as_array().unwrap();
    assert_eq!(years.len(), series.len());
    assert!(close(f("unit_before"), mean_of(&years, series, start - 3, start - 1)));
    assert!(close(f("unit_after"), mean_of(&years, series, start, start + 2)));
    let csv = db.ok(&["export", "--indicators", indicator, "--units", unit, "--years", &format!("{}-{}", years[0], years[years.len() - 1])]);
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (year, value): (i64, f64) = (cells[cells.len() - 4].parse().unwrap(), cells[cells.len() - 3].parse().unwrap());
        let at = years.iter().position(|y| *y == year).unwrap();
        assert!(close(series[at].as_f64().unwrap(), value), "{year}: {} vs exported {value}", series[at]);
    }
    // The peers' mean moves as the peers' change says (the demo has no gaps here).
    let peers = v["peers_mean"].as_array().unwrap();
    assert!(close(f("peers_change"), mean_of(&years, peers, start, start + 2) - mean_of(&years, peers, start - 3, start - 1)));

    // --- Text: the same figures, the verdict in both languages.
    let text = db.ok(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", &start.to_string()]);
    for label in ["zmiana w jednostce / unit's change", "zmiana w grupie / peers' change", "przedział placebo / placebo interval", "ocena / verdict"]
    {
        assert!(text.contains(label), "{label} in\n{text}");
    }
    assert!(text.contains(&format!("{:+.2}", f("estimate"))) || text.contains(&format!("{:+.0}", f("estimate"))), "{text}");
    let words = if verdict == "neutral" { "odróżnia się" } else { "nie odróżnia się od zmian w grupie / does not differ" };
    assert!(text.contains(words), "{text}");
    assert!(text.lines().any(|l| l.starts_with("liczba jednostek w grupie / peers") && l.trim_end().ends_with(&n.to_string())), "{text}");

    // --- The planted effects: inside the interval; printed for the note.
    let mut inside = 0;
    for pl in app::demo_cycle::PLANTED {
        let mut args = vec!["evaluate", "--unit", pl.unit, "--indicator", pl.indicator, "--format", "json"];
        let start = pl.start_year.to_string();
        args.extend(["--start", &start]);
        let kind = match pl.cause {
            app::demo_cycle::Cause::Cuw => Some("cuw"),
            app::demo_cycle::Cause::SocialAssistance => Some("pomoc_spoleczna"),
            app::demo_cycle::Cause::PlanAction => None,
        };
        if let Some(k) = kind {
            args.extend(["--exclude-reorganised", k]);
        }
        let e = db.json(&args);
        let (lo, hi) = (e["interval"][0].as_f64().unwrap(), e["interval"][1].as_f64().unwrap());
        let est = e["estimate"].as_f64().unwrap();
        let covered = lo <= pl.effect && pl.effect <= hi;
        inside += usize::from(covered);
        assert_eq!(e["stands_out"], true, "a planted effect of this size stands out: {e}");
        assert_eq!(e["verdict"], "better", "every planted effect is an improvement by its indicator's polarity");
        eprintln!(
            "planted {} {} from {}: effect {:+}, estimate {est:+.2}, interval {lo:+.2} … {hi:+.2}, {} peers, p {:.3}, verdict {}",
            pl.unit,
            pl.indicator,
            pl.start_year,
            pl.effect,
            e["n_peers"],
            e["p_value"].as_f64().unwrap(),
            e["verdict"]
        );
    }
    eprintln!("planted effects inside the interval: {inside} of {}", app::demo_cycle::PLANTED.len());
    assert!(inside + 1 >= app::demo_cycle::PLANTED.len(), "at most one planted effect outside its 95 % interval");

    // --- Bad parameters: a clear error naming the flag, exit code ≠ 0.
    let err = db.fails(&["evaluate", "--unit", unit, "--indicator", "NIE_MA", "--start", "2019"]);
    assert!(err.lines().any(|l| l.starts_with("error: --indicator") && l.contains("NIE_MA")), "{err}");
    let out = db.run(&["evaluate", "--unit", unit, "--indicator", "NIE_MA", "--start", "2019"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = db.fails(&["evaluate", "--unit", "9999999", "--indicator", indicator, "--start", "2019"]);
    assert!(err.contains("--unit") && err.contains("9999999"), "{err}");
    let err = db.fails(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", "1990"]);
    assert!(err.contains("--start") && err.contains("1990"), "{err}");
    let first = years[0].to_string();
    let err = db.fails(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", &first]);
    assert!(err.contains("--start"), "{err}");
    let err = db.fails(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", "2019", "--before", "0"]);
    assert!(err.contains("--before"), "{err}");
    // Too few peers: a list of the unit and two of its peers (the synthetic comparison's nearest two).
    let members: Vec<&str> = v["synthetic"]["members"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
    assert_eq!(members.len(), 5, "the synthetic comparison of the 5 nearest peers");
    let list = format!("list:{},{}", members[0], members[1]);
    let err = db.fails(&["evaluate", "--unit", unit, "--indicator", indicator, "--start", "2019", "--group", &list]);
    assert!(err.contains("--group") && err.contains("2 peers") && err.contains("at least 5"), "{err}");

    // --- A functional area (the demo declares one): its aggregate against its comparison set.
    let store = db.store().await;
    let areas = store.functional_areas().await.unwrap();
    store.close().await;
    let area = &areas.first().expect("the demo declares a functional area").group_code;
    let v = db.json(&["evaluate", "--area", area, "--indicator", "SPO_21", "--start", "2020", "--format", "json"]);
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert_eq!(v["unit"], area.as_str());
    assert!(close(f("estimate"), f("unit_change") - f("peers_change")), "estimate = area's change − peers' change");
    assert!(v["n_peers"].as_u64().unwrap() >= 5);
    let years: Vec<i64> = v["years"].as_array().unwrap().iter().map(|y| y.as_i64().unwrap()).collect();
    let series = v["unit_series"].as_array().unwrap();
    assert!(close(f("unit_before"), mean_of(&years, series, 2017, 2019)));
    let err = db.fails(&["evaluate", "--area", "nie-ma-takiego", "--indicator", "SPO_21", "--start", "2020"]);
    assert!(err.contains("--area") && err.contains("nie-ma-takiego"), "{err}");
    let out = db.run(&["evaluate", "--area", area, "--unit", unit, "--indicator", "SPO_21", "--start", "2020"]);
    assert_ne!(out.status.code(), Some(0), "--area and --unit together are refused");
}
