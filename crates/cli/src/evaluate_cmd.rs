//! `miernik evaluate`: a unit's change of an indicator from before to after a start year
//! against its peer group's over the same years (difference in differences), with the placebo
//! interval, the number of peers and the verdict — as text for people or JSON for scripts;
//! with `--area` the same for a functional area's aggregate against its comparison set.

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::output::outln;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum EvalFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// TERYT code of the unit
    #[arg(long, required_unless_present = "area")]
    unit: Option<String>,
    /// A functional area instead of a unit (its saved group's code): the area's aggregate
    /// against the other land powiaty with their gminy (or the other areas, from five on)
    #[arg(long, value_name = "CODE", conflicts_with_all = ["unit", "group", "exclude_reorganised"])]
    area: Option<String>,
    /// Indicator code (see catalogue/indicators.toml)
    #[arg(long)]
    indicator: String,
    /// The first year of the change (an action's or a reorganisation's start)
    #[arg(long)]
    start: i32,
    /// The peer group at the start year: country (kraj), wojewodztwo, typology (typologia),
    /// neighbours (sasiedzi), nearest (najblizsi), custom:CODE or list:CODE,CODE,…
    #[arg(long, default_value = "typology")]
    group: String,
    /// Years before the start
    #[arg(long, default_value_t = 3)]
    before: usize,
    /// Years from the start on, the start year included
    #[arg(long, default_value_t = 3)]
    after: usize,
    /// Leave out the peers with a reorganisation of this kind (cuw, pomoc_spoleczna,
    /// siec_szkol, inna)
    #[arg(long, value_name = "KIND")]
    exclude_reorganised: Option<String>,
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    format: EvalFormat,
}

pub async fn run(db: &str, a: EvaluateArgs) -> Result<()> {
    let store = crate::open(db).await?;
    let r = async {
        let c = crate::compute(&store).await?;
        match &a.area {
            Some(code) => {
                let inputs = app::functional_areas::load(&store, code).await.map_err(|e| match e {
                    app::AppError::NotFound(m) => app::AppError::NotFound(format!("area: {m}")),
                    e => e,
                })?;
                app::functional_areas::evaluate_area(&c, &inputs, &a.indicator, a.start, a.before, a.after)
            }
            None => {
                let req = app::evaluate::EvalRequest {
                    unit: a.unit.clone().unwrap_or_default(),
                    indicator: a.indicator.clone(),
                    start_year: a.start,
                    group: a.group.clone(),
                    before: a.before,
                    after: a.after,
                    exclude_reorganised: a.exclude_reorganised.clone(),
                };
                app::evaluate::evaluate(&store, &c, &req).await
            }
        }
    }
    .await;
    store.close().await;
    let e = r.map_err(|e| match e {
        // The use-case names the parameter by its own name; here it is the flag.
        app::AppError::Invalid(m) => anyhow::anyhow!(flag(&m)),
        app::AppError::NotFound(m) => anyhow::anyhow!(flag(&m)),
        e => e.into(),
    })?;
    match a.format {
        EvalFormat::Json => outln!("{}", serde_json::to_string_pretty(&to_json(&e))?)?,
        EvalFormat::Text => print_text(&e)?,
    }
    Ok(())
}

/// `start year: …` → `--start: …`, and the like for the other parameters.
fn flag(message: &str) -> String {
    for (name, flag) in [
        ("unit: ", "--unit: "),
        ("area: ", "--area: "),
        ("indicator: ", "--indicator: "),
        ("start year: ", "--start: "),
        ("group: ", "--group: "),
        ("before: ", "--before: "),
        ("after: ", "--after: "),
    ] {
        if let Some(rest) = message.strip_prefix(name) {
            return format!("{flag}{rest}");
        }
    }
    message.to_owned()
}

fn to_json(e: &app::evaluate::Evaluation) -> serde_json::Value {
    let est = &e.estimate;
    let (pl, en) = e.verdict.words();
    json!({
        "unit": e.unit_code,
        "unit_name": e.unit_name,
        "indicator": e.indicator_code,
        "name_pl": e.name_pl,
        "name_en": e.name_en,
        "measure_unit": e.measure_unit,
        "polarity": e.polarity.as_str(),
        "group": e.group_label,
        "start": e.start_year,
        "before": e.before,
        "after": e.after,
        "unit_before": est.unit_before,
        "unit_after": est.unit_after,
        "unit_change": est.unit_change,
        "peers_change": est.peers_change,
        "estimate": est.estimate,
        "interval": [est.interval.0, est.interval.1],
        "level": e.level,
        "p_value": est.p_value,
        "stands_out": est.stands_out,
        "n_peers": est.n_peers,
        "excluded": e.excluded,
        "verdict": e.verdict.code(),
        "verdict_pl": pl,
        "verdict_en": en,
        "synthetic": est.synthetic.as_ref().map(|s| json!({
            "estimate": s.estimate,
            "members": e.synthetic_members.iter().map(|(code, name)| json!({"code": code, "name": name})).collect::<Vec<_>>(),
        })),
        "years": e.years,
        "unit_series": e.unit_series,
        "peers_mean": e.peers_mean,
    })
}

fn print_text(e: &app::evaluate::Evaluation) -> Result<()> {
    let est = &e.estimate;
    let d = usize::from(e.decimals);
    let v = |x: f64| format!("{x:.d$}");
    // A change that rounds to zero has no sign.
    let signed = |x: f64| {
        let text = format!("{x:+.d$}");
        if text[1..].bytes().all(|b| b == b'0' || b == b'.') { text[1..].to_owned() } else { text }
    };
    let percent = format!("{:.1}", 100.0 * e.level);
    let percent = percent.strip_suffix(".0").unwrap_or(&percent);
    let unit = if e.measure_unit.is_empty() { String::new() } else { format!(" [{}]", e.measure_unit) };
    let last_after = e.start_year + e.after as i32 - 1;
    let (pl, en) = e.verdict.words();
    let rows: Vec<(&str, String)> = vec![
        ("jednostka / unit", format!("{} {}", e.unit_code, e.unit_name)),
        ("wskaźnik / indicator", format!("{} {}{unit}", e.indicator_code, e.name_pl)),
        ("grupa / group", e.group_label.clone()),
        (
            "lata / years",
            format!("przed / before {}–{}, po / after {}–{}", e.start_year - e.before as i32, e.start_year - 1, e.start_year, last_after),
        ),
        ("jednostka przed → po / unit before → after", format!("{} → {}", v(est.unit_before), v(est.unit_after))),
        ("zmiana w jednostce / unit's change", signed(est.unit_change)),
        ("zmiana w grupie / peers' change", signed(est.peers_change)),
        ("różnica różnic / estimate", signed(est.estimate)),
        ("przedział placebo / placebo interval", format!("{} … {} ({percent} %)", signed(est.interval.0), signed(est.interval.1))),
        ("p", format!("{:.3}", est.p_value)),
        ("liczba jednostek w grupie / peers", est.n_peers.to_string()),
    ];
    let mut rows = rows;
    if !e.excluded.is_empty() {
        rows.push(("pominięte (reorganizacja) / left out (reorganised)", e.excluded.join(", ")));
    }
    if let Some(s) = &est.synthetic {
        let members: Vec<&str> = e.synthetic_members.iter().map(|m| m.0.as_str()).collect();
        rows.push(("porównanie syntetyczne / synthetic comparison", format!("{} ({})", signed(s.estimate), members.join(", "))));
    }
    rows.push(("ocena / verdict", format!("{pl} / {en}")));
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    for (label, value) in &rows {
        let pad = width - label.chars().count();
        outln!("{label}{:pad$}  {value}", "")?;
    }
    Ok(())
}
