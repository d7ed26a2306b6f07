//! The indicator formula language: parse a formula over variable codes into an [`Expr`] with
//! spans, compile it once into a [`Program`], and evaluate the program over whole columns
//! (units × years) at once. No I/O; missing-ness is kept apart from values, and no NaN or
//! infinity ever leaves [`Program::eval`].
//!
//! # Grammar
//!
//! ```text
//! formula  ::= sum EOF
//! sum      ::= product (("+" | "-" | "−") product)*
//! product  ::= unary (("*" | "×" | "/" | "÷") unary)*
//! unary    ::= ("-" | "−") unary | primary
//! primary  ::= NUMBER | call | VARIABLE | "(" sum ")"
//! call     ::= FUNCTION "(" sum ("," sum)* ")"
//! NUMBER   ::= DIGIT+ ("." DIGIT+)? (("e" | "E") ("+" | "-")? DIGIT+)?
//! VARIABLE ::= (LETTER | "_") (LETTER | DIGIT | "_")*      -- a variable code
//! FUNCTION ::= "lag" | "sum" | "min" | "max" | "abs" | "coalesce"
//! ```
//!
//! # Meaning
//!
//! * A missing input makes the result missing: `+ - * /`, `sum`, `min`, `max`, `abs`.
//! * Division by zero, and any result that is not a finite number, is missing.
//! * `lag(x, n)`: the value of `x` `n` years earlier (n a whole number ≥ 0, written as a
//!   literal); missing before the first year.
//! * `coalesce(a, b, …)`: the first argument that is not missing — the one way to say "treat
//!   missing as zero": `coalesce(x, 0)`.

mod eval;
mod parse;

pub use eval::{Column, Grid, Program};
pub use parse::{Expr, ExprKind, Func, Op, ParseError, Span, parse};
