//! Tokenizer and recursive-descent parser of formulas; every error names the position (a
//! character offset, 1-based for people) and what was expected there.

use std::collections::BTreeSet;
use std::fmt;

/// A range of characters in the formula text: `start..end`, 0-based character offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Lag,
    Sum,
    Min,
    Max,
    Abs,
    Coalesce,
}

impl Func {
    const ALL: [(Func, &'static str); 6] =
        [(Func::Lag, "lag"), (Func::Sum, "sum"), (Func::Min, "min"), (Func::Max, "max"), (Func::Abs, "abs"), (Func::Coalesce, "coalesce")];

    pub fn name(self) -> &'static str {
        Func::ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n)
    }

    fn by_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// A parsed formula: a tree with the span of every node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Variable(String),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    /// `lag(x, n)` keeps `n` as the whole number it must be.
    Lag(Box<Expr>, usize),
    Call(Func, Vec<Expr>),
}

impl Expr {
    /// The variable codes the formula reads, sorted.
    pub fn variables(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        self.walk(&mut |e| {
            if let ExprKind::Variable(v) = &e.kind {
                out.insert(v.as_str());
            }
        });
        out
    }

    /// How many years back the formula looks (the sum of nested lags).
    pub fn max_lag(&self) -> usize {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Variable(_) => 0,
            ExprKind::Neg(e) => e.max_lag(),
            ExprKind::Binary(_, a, b) => a.max_lag().max(b.max_lag()),
            ExprKind::Lag(e, n) => e.max_lag() + n,
            ExprKind::Call(_, args) => args.iter().map(Expr::max_lag).max().unwrap_or(0),
        }
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Variable(_) => {}
            ExprKind::Neg(e) | ExprKind::Lag(e, _) => e.walk(f),
            ExprKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
        }
    }
}

/// Prints the formula back, fully parenthesised: what the parser understood.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Variable(v) => f.write_str(v),
            ExprKind::Neg(e) => write!(f, "(-{e})"),
            ExprKind::Binary(op, a, b) => {
                let s = match op {
                    Op::Add => "+",
                    Op::Sub => "-",
                    Op::Mul => "*",
                    Op::Div => "/",
                };
                write!(f, "({a} {s} {b})")
            }
            ExprKind::Lag(e, n) => write!(f, "lag({e}, {n})"),
            ExprKind::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// A formula that does not parse: where, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: expected {}, found {}", self.span.start + 1, self.expected, self.found)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Number(f64),
    Ident(String),
    Op(Op),
    LParen,
    RParen,
    Comma,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Number(n) => format!("the number {n}"),
            Tok::Ident(i) => format!("`{i}`"),
            Tok::Op(Op::Add) => "`+`".into(),
            Tok::Op(Op::Sub) => "`-`".into(),
            Tok::Op(Op::Mul) => "`*`".into(),
            Tok::Op(Op::Div) => "`/`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::End => "the end of the formula".into(),
        }
    }
}

fn tokenize(src: &str) -> Result<Vec<(Tok, Span)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = |t: Tok| (t, Span { start, end: start + 1 });
        match c {
            ' ' | '\t' | '\n' | '\r' | '\u{a0}' => {
                i += 1;
                continue;
            }
            '+' => out.push(single(Tok::Op(Op::Add))),
            '-' | '−' => out.push(single(Tok::Op(Op::Sub))),
            '*' | '×' => out.push(single(Tok::Op(Op::Mul))),
            '/' | '÷' => out.push(single(Tok::Op(Op::Div))),
            '(' => out.push(single(Tok::LParen)),
            ')' => out.push(single(Tok::RParen)),
            ',' => out.push(single(Tok::Comma)),
            d if d.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                if j < chars.len() && chars[j] == '.' {
                    j += 1;
                    if !(j < chars.len() && chars[j].is_ascii_digit()) {
                        return Err(ParseError {
                            span: Span { start: j, end: j + 1 },
                            expected: "a digit after the decimal point".into(),
                            found: chars.get(j).map_or("the end of the formula".into(), |c| format!("`{c}`")),
                        });
                    }
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                if j < chars.len() && (chars[j] == 'e' || chars[j] == 'E') {
                    let mut k = j + 1;
                    if k < chars.len() && (chars[k] == '+' || chars[k] == '-') {
                        k += 1;
                    }
                    if k < chars.len() && chars[k].is_ascii_digit() {
                        while k < chars.len() && chars[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                let text: String = chars[i..j].iter().collect();
                let n = text.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| ParseError {
                    span: Span { start: i, end: j },
                    expected: "a finite number".into(),
                    found: format!("`{text}`"),
                })?;
                out.push((Tok::Number(n), Span { start: i, end: j }));
                i = j;
                continue;
            }
            a if a.is_ascii_alphabetic() || a == '_' => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                out.push((Tok::Ident(chars[i..j].iter().collect()), Span { start: i, end: j }));
                i = j;
                continue;
            }
            other => {
                return Err(ParseError {
                    span: Span { start, end: start + 1 },
                    expected: "a number, a variable code, an operator or a parenthesis".into(),
                    found: format!("`{other}`"),
                });
            }
        }
        i += 1;
    }
    out.push((Tok::End, Span { start: chars.len(), end: chars.len() }));
    Ok(out)
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

/// Parses a formula.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { toks: tokenize(src)?, pos: 0, depth: 0 };
    let e = p.sum()?;
    match p.peek() {
        (Tok::End, _) => Ok(e),
        (t, span) => Err(ParseError { span, expected: "an operator or the end of the formula".into(), found: t.describe() }),
    }
}

impl Parser {
    fn peek(&self) -> (Tok, Span) {
        self.toks.get(self.pos).cloned().unwrap_or((Tok::End, self.toks.last().map_or(Span { start: 0, end: 0 }, |t| t.1)))
    }

    fn next(&mut self) -> (Tok, Span) {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<Span, ParseError> {
        let (t, span) = self.next();
        if &t == want { Ok(span) } else { Err(ParseError { span, expected: what.into(), found: t.describe() }) }
    }

    fn enter(&mut self, span: Span) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError { span, expected: format!("at most {MAX_DEPTH} levels of nesting"), found: "more".into() });
        }
        Ok(())
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product()?;
        while let (Tok::Op(op @ (Op::Add | Op::Sub)), _) = self.peek() {
            self.next();
            let right = self.product()?;
            let span = Span { start: left.span.start, end: right.span.end };
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let (Tok::Op(op @ (Op::Mul | Op::Div)), _) = self.peek() {
            self.next();
            let right = self.unary()?;
            let span = Span { start: left.span.start, end: right.span.end };
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if let (Tok::Op(Op::Sub), span) = self.peek() {
            self.next();
            self.enter(span)?;
            let inner = self.unary()?;
            self.depth -= 1;
            let span = Span { start: span.start, end: inner.span.end };
            return Ok(Expr { kind: ExprKind::Neg(Box::new(inner)), span });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let (tok, span) = self.next();
        match tok {
            Tok::Number(n) => Ok(Expr { kind: ExprKind::Number(n), span }),
            Tok::LParen => {
                self.enter(span)?;
                let inner = self.sum()?;
                self.depth -= 1;
                let close = self.expect(&Tok::RParen, "`)`")?;
                Ok(Expr { kind: inner.kind, span: Span { start: span.start, end: close.end } })
            }
            Tok::Ident(name) => {
                if let (Tok::LParen, _) = self.peek() {
                    let Some(func) = Func::by_name(&name) else {
                        return Err(ParseError {
                            span,
                            expected: format!("a known function ({})", Func::ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")),
                            found: format!("`{name}`"),
                        });
                    };
                    self.next();
                    self.enter(span)?;
                    let call = self.call(func, span)?;
                    self.depth -= 1;
                    Ok(call)
                } else {
                    Ok(Expr { kind: ExprKind::Variable(name), span })
                }
            }
            t => Err(ParseError { span, expected: "a number, a variable code, a function or `(`".into(), found: t.describe() }),
        }
    }

    fn call(&mut self, func: Func, name_span: Span) -> Result<Expr, ParseError> {
        let mut args = vec![self.sum()?];
        loop {
            match self.next() {
                (Tok::Comma, _) => args.push(self.sum()?),
                (Tok::RParen, close) => {
                    let span = Span { start: name_span.start, end: close.end };
                    return self.finish_call(func, args, span);
                }
                (t, span) => return Err(ParseError { span, expected: "`,` or `)`".into(), found: t.describe() }),
            }
        }
    }

    fn finish_call(&self, func: Func, mut args: Vec<Expr>, span: Span) -> Result<Expr, ParseError> {
        let given = args.len();
        let arity = |want: &str| ParseError { span, expected: format!("{}() with {want}", func.name()), found: format!("{given} argument(s)") };
        match func {
            Func::Lag => {
                if args.len() != 2 {
                    return Err(arity("2 arguments: lag(x, years)"));
                }
                let years = args.pop().ok_or_else(|| arity("2 arguments: lag(x, years)"))?;
                let n = match years.kind {
                    ExprKind::Number(n) if n >= 0.0 && n.fract() == 0.0 && n <= 200.0 => n as usize,
                    _ => {
                        return Err(ParseError {
                            span: years.span,
                            expected: "a whole number of years from 0 to 200".into(),
                            found: format!("`{years}`"),
                        });
                    }
                };
                let x = args.pop().ok_or_else(|| arity("2 arguments: lag(x, years)"))?;
                Ok(Expr { kind: ExprKind::Lag(Box::new(x), n), span })
            }
            Func::Abs if args.len() != 1 => Err(arity("1 argument")),
            Func::Sum | Func::Min | Func::Max | Func::Coalesce if args.len() < 2 => Err(arity("2 or more arguments")),
            _ => Ok(Expr { kind: ExprKind::Call(func, args), span }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and prints back fully parenthesised, or the error text.
    fn check(input: &str, expected: &str) {
        let got = match parse(input) {
            Ok(e) => e.to_string(),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "input: {input}");
    }

    #[test]
    fn precedence_and_associativity_follow_arithmetic() {
        check("a + b * c", "(a + (b * c))");
        check("a - b - c", "((a - b) - c)");
        check("a / b / c", "((a / b) / c)");
        check("(a + b) * c", "((a + b) * c)");
        check("-a * b", "((-a) * b)");
        check("a * -b", "(a * (-b))");
        check("--a", "(-(-a))");
        check("1000 × wydatki_801 ÷ ludnosc − 1", "(((1000 * wydatki_801) / ludnosc) - 1)");
        check("2.5e3 * x", "(2500 * x)");
        check("lag(x, 1)", "lag(x, 1)");
        check("sum(a, b, c) / max(d, 1)", "(sum(a, b, c) / max(d, 1))");
        check("coalesce(x, 0) + abs(y - lag(y, 5))", "(coalesce(x, 0) + abs((y - lag(y, 5))))");
        check("_x1", "_x1");
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        check("", "error at character 1: expected a number, a variable code, a function or `(`, found the end of the formula");
        check("a +", "error at character 4: expected a number, a variable code, a function or `(`, found the end of the formula");
        check("(a + b", "error at character 7: expected `)`, found the end of the formula");
        check("a b", "error at character 3: expected an operator or the end of the formula, found `b`");
        check("a + ; b", "error at character 5: expected a number, a variable code, an operator or a parenthesis, found `;`");
        check("foo(a)", "error at character 1: expected a known function (lag, sum, min, max, abs, coalesce), found `foo`");
        check("lag(x, 1.5)", "error at character 8: expected a whole number of years from 0 to 200, found `1.5`");
        check("lag(x, y)", "error at character 8: expected a whole number of years from 0 to 200, found `y`");
        check("lag(x)", "error at character 1: expected lag() with 2 arguments: lag(x, years), found 1 argument(s)");
        check("abs(a, b)", "error at character 1: expected abs() with 1 argument, found 2 argument(s)");
        check("min(a)", "error at character 1: expected min() with 2 or more arguments, found 1 argument(s)");
        check("1.", "error at character 3: expected a digit after the decimal point, found the end of the formula");
        check("sum(a b)", "error at character 7: expected `,` or `)`, found `b`");
        check("ludność", "error at character 6: expected a number, a variable code, an operator or a parenthesis, found `ś`");
    }

    #[test]
    fn variables_and_lag_depth_are_known_before_evaluation() {
        let e = parse("(a - lag(lag(b, 2), 3)) / sum(a, c)").expect("parses");
        assert_eq!(e.variables().into_iter().collect::<Vec<_>>(), vec!["a", "b", "c"]);
        assert_eq!(e.max_lag(), 5);
    }

    #[test]
    fn absurd_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = parse(&deep).expect_err("too deep");
        assert!(err.expected.contains("levels of nesting"), "{err}");
        let negs = format!("{}x", "-".repeat(10_000));
        assert!(parse(&negs).is_err());
    }
}
