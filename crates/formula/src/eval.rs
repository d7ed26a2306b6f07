//! Compiling a formula into a flat program and running it over whole columns: every cell of
//! every unit and year in one pass per operation. Intermediate columns that the program owns
//! are updated in place; inputs are only read; constants are never spread into columns.

use crate::parse::{Expr, ExprKind, Func, Op};

/// The shape of the data: `units` rows of `years` consecutive years, unit-major
/// (cell `u * years + y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub units: usize,
    pub years: usize,
}

impl Grid {
    pub fn len(&self) -> usize {
        self.units * self.years
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Values over a grid with their validity kept apart: `values[i]` means something only where
/// `valid[i]`; elsewhere it is 0.0.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub values: Vec<f64>,
    pub valid: Vec<bool>,
}

impl Column {
    /// A column where every cell is missing.
    pub fn missing(len: usize) -> Self {
        Column { values: vec![0.0; len], valid: vec![false; len] }
    }

    /// A column from optional values; non-finite values count as missing.
    pub fn from_options(cells: impl IntoIterator<Item = Option<f64>>) -> Self {
        let (values, valid) = cells
            .into_iter()
            .map(|c| match c {
                Some(v) if v.is_finite() => (v, true),
                _ => (0.0, false),
            })
            .unzip();
        Column { values, valid }
    }

    pub fn get(&self, i: usize) -> Option<f64> {
        match (self.valid.get(i), self.values.get(i)) {
            (Some(true), Some(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Instr {
    Const(f64),
    Var(usize),
    Neg,
    Bin(Op),
    Abs,
    Lag(usize),
    Fold(Func, usize),
}

/// A compiled formula: a postfix program over its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    instrs: Vec<Instr>,
    variables: Vec<String>,
}

/// A value on the evaluation stack. A constant is NaN when it is missing (internal only).
enum Val<'a> {
    Const(f64),
    Input(&'a Column),
    Owned(Column),
}

impl Val<'_> {
    fn into_owned(self, len: usize) -> Column {
        match self {
            Val::Owned(c) => c,
            Val::Input(c) => c.clone(),
            Val::Const(v) if v.is_finite() => Column { values: vec![v; len], valid: vec![true; len] },
            Val::Const(_) => Column::missing(len),
        }
    }

    fn cell(&self, i: usize) -> Option<f64> {
        match self {
            Val::Const(v) => v.is_finite().then_some(*v),
            Val::Input(c) => c.get(i),
            Val::Owned(c) => c.get(i),
        }
    }
}

fn apply(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div if b == 0.0 => f64::NAN,
        Op::Div => a / b,
    }
}

fn fold_step(func: Func, acc: Option<f64>, x: Option<f64>, first: bool) -> Option<f64> {
    if first {
        return x;
    }
    match func {
        Func::Coalesce => acc.or(x),
        Func::Sum => Some(acc? + x?),
        Func::Min => Some(acc?.min(x?)),
        Func::Max => Some(acc?.max(x?)),
        Func::Lag | Func::Abs => acc,
    }
}

impl Program {
    /// Compiles a parsed formula.
    pub fn compile(expr: &Expr) -> Program {
        let mut p = Program { instrs: Vec::new(), variables: Vec::new() };
        p.emit(expr);
        p
    }

    fn emit(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Number(n) => self.instrs.push(Instr::Const(*n)),
            ExprKind::Variable(v) => {
                let i = match self.variables.iter().position(|x| x == v) {
                    Some(i) => i,
                    None => {
                        self.variables.push(v.clone());
                        self.variables.len() - 1
                    }
                };
                self.instrs.push(Instr::Var(i));
            }
            ExprKind::Neg(x) => {
                self.emit(x);
                self.instrs.push(Instr::Neg);
            }
            ExprKind::Binary(op, a, b) => {
                self.emit(a);
                self.emit(b);
                self.instrs.push(Instr::Bin(*op));
            }
            ExprKind::Lag(x, n) => {
                self.emit(x);
                self.instrs.push(Instr::Lag(*n));
            }
            ExprKind::Call(Func::Abs, args) => {
                args.iter().for_each(|a| self.emit(a));
                self.instrs.push(Instr::Abs);
            }
            ExprKind::Call(f, args) => {
                args.iter().for_each(|a| self.emit(a));
                self.instrs.push(Instr::Fold(*f, args.len()));
            }
        }
    }

    /// The variables the program reads; [`Program::eval`] takes their columns in this order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Which of [`Program::variables`] the program is, when it is nothing but one variable:
    /// [`Program::eval`] then returns that input unchanged, and a caller that only needs some
    /// of its cells can read them from the input instead.
    pub fn as_variable(&self) -> Option<usize> {
        match self.instrs[..] {
            [Instr::Var(i)] => Some(i),
            _ => None,
        }
    }

    /// Runs the program over `grid`. `inputs[i]` is the column of `variables()[i]`, each of
    /// `grid.len()` cells. The result has no NaN or infinity: such cells are missing.
    pub fn eval(&self, grid: Grid, inputs: &[&Column]) -> Result<Column, String> {
        let len = grid.len();
        if inputs.len() != self.variables.len() {
            return Err(format!("the formula reads {} variables, {} columns were given", self.variables.len(), inputs.len()));
        }
        if let Some((i, c)) = inputs.iter().enumerate().find(|(_, c)| c.len() != len || c.valid.len() != len) {
            return Err(format!("column of `{}` has {} cells, the grid {len}", self.variables[i], c.len()));
        }
        let mut stack: Vec<Val<'_>> = Vec::with_capacity(8);
        let underflow = || "internal error: the program's stack ran out".to_owned();
        for instr in &self.instrs {
            match *instr {
                Instr::Const(v) => stack.push(Val::Const(v)),
                Instr::Var(i) => stack.push(Val::Input(inputs[i])),
                Instr::Neg => {
                    let v = stack.pop().ok_or_else(underflow)?;
                    stack.push(match v {
                        Val::Const(c) => Val::Const(-c),
                        other => {
                            let mut c = other.into_owned(len);
                            c.values.iter_mut().for_each(|x| *x = -*x);
                            Val::Owned(c)
                        }
                    });
                }
                Instr::Abs => {
                    let v = stack.pop().ok_or_else(underflow)?;
                    stack.push(match v {
                        Val::Const(c) => Val::Const(c.abs()),
                        other => {
                            let mut c = other.into_owned(len);
                            c.values.iter_mut().for_each(|x| *x = x.abs());
                            Val::Owned(c)
                        }
                    });
                }
                Instr::Bin(op) => {
                    let b = stack.pop().ok_or_else(underflow)?;
                    let a = stack.pop().ok_or_else(underflow)?;
                    stack.push(binary(op, a, b, len));
                }
                Instr::Lag(n) => {
                    let v = stack.pop().ok_or_else(underflow)?;
                    // Even a constant is missing before the first year: lag means "n years
                    // earlier", and there is no earlier year.
                    stack.push(Val::Owned(lag(&v.into_owned(len), grid, n)));
                }
                Instr::Fold(func, k) => {
                    if stack.len() < k {
                        return Err(underflow());
                    }
                    let args = stack.split_off(stack.len() - k);
                    if args.iter().all(|a| matches!(a, Val::Const(_))) {
                        let mut acc = None;
                        for (j, a) in args.iter().enumerate() {
                            acc = fold_step(func, acc, a.cell(0), j == 0);
                        }
                        stack.push(Val::Const(acc.unwrap_or(f64::NAN)));
                    } else {
                        let mut out = Column::missing(len);
                        for i in 0..len {
                            let mut acc = None;
                            for (j, a) in args.iter().enumerate() {
                                acc = fold_step(func, acc, a.cell(i), j == 0);
                            }
                            if let Some(v) = acc.filter(|v| v.is_finite()) {
                                out.values[i] = v;
                                out.valid[i] = true;
                            }
                        }
                        stack.push(Val::Owned(out));
                    }
                }
            }
        }
        let result = stack.pop().ok_or_else(underflow)?;
        Ok(result.into_owned(len))
    }
}

/// `a op b` over columns; writes into an owned operand when there is one.
fn binary<'a>(op: Op, a: Val<'a>, b: Val<'a>, len: usize) -> Val<'a> {
    match (a, b) {
        // A non-finite constant is a missing intermediate (e.g. 1e300 * 1e300): whatever it
        // meets stays missing, even where arithmetic would turn it finite again (0 / inf).
        (Val::Const(x), Val::Const(y)) if !(x.is_finite() && y.is_finite()) => Val::Const(f64::NAN),
        (Val::Const(x), Val::Const(y)) => Val::Const(apply(op, x, y)),
        (Val::Const(x), _) | (_, Val::Const(x)) if !x.is_finite() => Val::Owned(Column::missing(len)),
        (Val::Const(x), other) => Val::Owned(with_scalar(op, other.into_owned(len), x, true)),
        (left, Val::Const(y)) => Val::Owned(with_scalar(op, left.into_owned(len), y, false)),
        (left, right) => {
            let (mut out, other, out_is_left) = match (left, right) {
                (Val::Owned(c), r) => (c, r, true),
                (l, Val::Owned(c)) => (c, l, false),
                (l, r) => (l.into_owned(len), r, true),
            };
            let other = match &other {
                Val::Input(c) => *c,
                Val::Owned(c) => c,
                Val::Const(_) => return Val::Owned(Column::missing(len)), // handled above
            };
            for i in 0..len {
                let (x, y) = if out_is_left { (out.values[i], other.values[i]) } else { (other.values[i], out.values[i]) };
                let v = apply(op, x, y);
                let ok = out.valid[i] && other.valid[i] && v.is_finite();
                out.values[i] = if ok { v } else { 0.0 };
                out.valid[i] = ok;
            }
            Val::Owned(out)
        }
    }
}

/// `scalar op column` (when `scalar_first`) or `column op scalar`, in place.
fn with_scalar(op: Op, mut c: Column, scalar: f64, scalar_first: bool) -> Column {
    for (value, valid) in c.values.iter_mut().zip(c.valid.iter_mut()) {
        let v = if scalar_first { apply(op, scalar, *value) } else { apply(op, *value, scalar) };
        let ok = *valid && v.is_finite();
        *value = if ok { v } else { 0.0 };
        *valid = ok;
    }
    c
}

/// The value `n` years earlier within each unit's row; missing before the first year.
fn lag(c: &Column, grid: Grid, n: usize) -> Column {
    let mut out = Column::missing(grid.len());
    if n >= grid.years {
        return out;
    }
    for u in 0..grid.units {
        let row = u * grid.years;
        for y in n..grid.years {
            out.values[row + y] = c.values[row + y - n];
            out.valid[row + y] = c.valid[row + y - n];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    /// Parses a row notation: units separated by `|`, cells by spaces, `_` for missing.
    fn col(text: &str) -> Column {
        Column::from_options(
            text.split('|').flat_map(str::split_whitespace).map(|c| if c == "_" { None } else { Some(c.parse::<f64>().expect("number")) }),
        )
    }

    fn show(c: &Column, grid: Grid) -> String {
        (0..grid.units)
            .map(|u| (0..grid.years).map(|y| c.get(u * grid.years + y).map_or("_".to_owned(), |v| v.to_string())).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Evaluates `formula` over 2 units × 3 years with inputs `a` and `b`.
    fn check(formula: &str, a: &str, b: &str, expected: &str) {
        let grid = Grid { units: 2, years: 3 };
        let program = Program::compile(&parse(formula).expect("parses"));
        let (ca, cb) = (col(a), col(b));
        let inputs: Vec<&Column> = program
            .variables()
            .iter()
            .map(|v| match v.as_str() {
                "a" => &ca,
                "b" => &cb,
                other => panic!("unknown input {other}"),
            })
            .collect();
        let out = program.eval(grid, &inputs).expect("evaluates");
        assert_eq!(show(&out, grid), expected, "{formula}");
        assert!(out.values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn arithmetic_over_columns_keeps_missing_apart() {
        check("a + b", "1 2 3 | 4 _ 6", "10 20 30 | 40 50 _", "11 22 33 | 44 _ _");
        check("1000 * a / b", "1 2 3 | 4 5 6", "10 0 _ | 1 2 4", "100 _ _ | 4000 2500 1500");
        check("-a", "1 _ 3 | 0 5 6", "0 0 0 | 0 0 0", "-1 _ -3 | -0 -5 -6");
        check("a / 0", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
        check("1 / 0 + a", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
        check("a * 1e300 * 1e300", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
        check("2 * 3", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "6 6 6 | 6 6 6");
        // Found by the property test: an overflowed intermediate must not come back as 0.
        check("a / (1e300 * (1e300 + 0))", "0 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
        check("1 / (1e300 * 1e300) + a", "0 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
    }

    #[test]
    fn lag_looks_back_within_each_unit_only() {
        check("lag(a, 1)", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ 1 2 | _ 4 5");
        check("a - lag(a, 2)", "1 2 3 | 4 _ 6", "0 0 0 | 0 0 0", "_ _ 2 | _ _ 2");
        check("lag(a, 0)", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "1 2 3 | 4 5 6");
        check("lag(a, 7)", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ _ | _ _ _");
        check("lag(lag(a, 1), 1)", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ _ 1 | _ _ 4");
        check("lag(5, 1)", "1 2 3 | 4 5 6", "0 0 0 | 0 0 0", "_ 5 5 | _ 5 5");
    }

    #[test]
    fn functions_have_strict_missing_except_coalesce() {
        check("sum(a, b, 1)", "1 _ 3 | 4 5 6", "1 1 _ | 1 1 1", "3 _ _ | 6 7 8");
        check("min(a, b)", "1 _ 3 | 4 5 6", "2 1 0 | -1 9 6", "1 _ 0 | -1 5 6");
        check("max(a, b)", "1 _ 3 | 4 5 6", "2 1 0 | -1 9 6", "2 _ 3 | 4 9 6");
        check("coalesce(a, b, 0)", "1 _ _ | 4 5 _", "9 7 _ | 9 9 8", "1 7 0 | 4 5 8");
        check("abs(a - b)", "1 _ 3 | 4 5 6", "2 1 0 | -1 9 6", "1 _ 3 | 5 4 0");
        check("coalesce(a, 1 / 0)", "1 _ 3 | 4 5 6", "0 0 0 | 0 0 0", "1 _ 3 | 4 5 6");
    }

    #[test]
    fn a_bare_variable_is_told_and_evaluates_to_its_input() {
        let bare = |f: &str| Program::compile(&parse(f).expect("parses")).as_variable();
        assert_eq!(bare("a"), Some(0));
        assert_eq!(bare("(b)"), Some(0));
        for f in ["a + b", "-a", "lag(a, 0)", "abs(a)", "2", "coalesce(a, b)"] {
            assert_eq!(bare(f), None, "{f}");
        }
        check("a", "1 _ 3 | 4 5 _", "0 0 0 | 0 0 0", "1 _ 3 | 4 5 _");
    }

    #[test]
    fn wrong_inputs_are_errors_not_panics() {
        let p = Program::compile(&parse("a + b").expect("parses"));
        let grid = Grid { units: 2, years: 3 };
        let a = col("1 2 3 | 4 5 6");
        assert!(p.eval(grid, &[&a]).expect_err("one column short").contains("2 variables"));
        let short = col("1 2");
        assert!(p.eval(grid, &[&a, &short]).expect_err("wrong length").contains("`b`"));
    }
}
