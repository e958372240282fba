//! Rebate engine: film production cash rebates computed from programmes that are data.
//!
//! Pure: no I/O, no clock, no async. Everything comes in explicitly — the programme (parsed
//! from its TOML file), the claim, the as-of date, the FX and index tables — and a result
//! comes out with an explanation: each line's treatment and reason, each uplift, and each cap
//! with its limit and whether (and by how much) it bound.
//!
//! # Money and rounding
//! Amounts are `rust_decimal::Decimal`, never floats, with checked arithmetic (an overflow is
//! an error, not a panic). One rounding rule: each line is converted to the programme currency
//! at that line's date and rounded half away from zero to 2 decimals ([`money::round_line`]);
//! the rebate is rounded down to a whole currency unit ([`money::round_rebate`]).

pub mod builtin;
pub mod claim;
pub mod compute;
pub mod error;
pub mod estimate;
pub mod money;
pub mod programme;
pub mod result;
pub mod tables;

pub use claim::{Claim, ClaimInput};
pub use compute::{compute, Context};
pub use error::{EngineError, InputError, Reason};
pub use estimate::{compare, estimate, EstimateInput};
pub use programme::{Programme, Version};
pub use result::RebateResult;
pub use tables::{FxTable, IndexTable};
