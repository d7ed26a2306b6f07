//! Property tests: the parser never panics; the columnar evaluator agrees with a plain
//! cell-by-cell reference evaluator and never lets NaN or infinity out.

use std::collections::HashMap;

use formula::{Column, Expr, ExprKind, Func, Grid, Op, Program, parse};
use proptest::prelude::*;

/// The reference: the meaning of a formula for one cell, written as plainly as possible.
fn reference(e: &Expr, u: usize, y: usize, grid: Grid, cols: &HashMap<String, Column>) -> Option<f64> {
    let finite = |v: f64| v.is_finite().then_some(v);
    match &e.kind {
        ExprKind::Number(n) => finite(*n),
        ExprKind::Variable(v) => cols[v].get(u * grid.years + y),
        ExprKind::Neg(x) => reference(x, u, y, grid, cols).map(|v| -v),
        ExprKind::Binary(op, a, b) => {
            let a = reference(a, u, y, grid, cols)?;
            let b = reference(b, u, y, grid, cols)?;
            match op {
                Op::Add => finite(a + b),
                Op::Sub => finite(a - b),
                Op::Mul => finite(a * b),
                Op::Div if b == 0.0 => None,
                Op::Div => finite(a / b),
            }
        }
        ExprKind::Lag(x, n) => {
            if y >= *n {
                reference(x, u, y - n, grid, cols)
            } else {
                None
            }
        }
        ExprKind::Call(Func::Abs, args) => reference(&args[0], u, y, grid, cols).map(f64::abs),
        ExprKind::Call(Func::Coalesce, args) => args.iter().find_map(|a| reference(a, u, y, grid, cols)),
        ExprKind::Call(f, args) => {
            let vals: Option<Vec<f64>> = args.iter().map(|a| reference(a, u, y, grid, cols)).collect();
            let vals = vals?;
            let r = match f {
                Func::Sum => vals.iter().sum::<f64>(),
                Func::Min => vals.iter().copied().fold(f64::INFINITY, f64::min),
                Func::Max => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                _ => return None,
            };
            finite(r)
        }
    }
}

fn formula_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("c".to_owned()),
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("2.5".to_owned()),
        Just("1000".to_owned()),
        Just("1e300".to_owned()),
    ];
    leaf.prop_recursive(5, 40, 3, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "×", "÷", "−"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            (inner.clone(), 0usize..4).prop_map(|(a, n)| format!("lag({a}, {n})")),
            inner.clone().prop_map(|a| format!("abs({a})")),
            (prop::sample::select(vec!["sum", "min", "max", "coalesce"]), prop::collection::vec(inner, 2..4))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        ]
    })
}

fn cell() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![Just(None), Just(Some(0.0)), (-5i32..5).prop_map(|v| Some(f64::from(v))), Just(Some(1e200)), Just(Some(-2.5)),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_parser_never_panics(s in "\\PC{0,60}") {
        let _ = parse(&s);
    }

    #[test]
    fn the_parser_never_panics_on_formula_like_text(s in "[a-z0-9_ ()+*/,.e−×÷-]{0,60}") {
        let _ = parse(&s);
    }

    #[test]
    fn columnar_evaluation_agrees_with_the_reference(
        text in formula_text(),
        units in 1usize..4,
        years in 1usize..6,
        seed in prop::collection::vec(cell(), 3 * 4 * 6),
    ) {
        let expr = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let grid = Grid { units, years };
        let n = grid.len();
        let mut cols = HashMap::new();
        for (k, name) in ["a", "b", "c"].iter().enumerate() {
            cols.insert((*name).to_owned(), Column::from_options(seed[k * 24..k * 24 + n].iter().copied()));
        }
        let program = Program::compile(&expr);
        let inputs: Vec<&Column> = program.variables().iter().map(|v| &cols[v]).collect();
        let out = program.eval(grid, &inputs).map_err(TestCaseError::fail)?;
        prop_assert!(out.values.iter().all(|v| v.is_finite()), "{text}: non-finite value out");
        for u in 0..units {
            for y in 0..years {
                let want = reference(&expr, u, y, grid, &cols);
                let got = out.get(u * years + y);
                prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{} at unit {} year {}", text, u, y);
            }
        }
    }
}
