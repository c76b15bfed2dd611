//! Parse: bytes to a HuJSON syntax tree that keeps every comment and the span of every value,
//! and back (pack, standardise, format).

pub(crate) mod ast;
mod bytes;
pub(crate) mod format;
pub(crate) mod parser;
mod source;
pub(crate) mod strings;

pub(crate) use ast::{Array, Bytes, Member, Node, Object, Span, Value};
pub use format::{format, format_bytes, format_nested, member_list_entry_depth};
pub use parser::{MAX_DEPTH, SyntaxError, is_blank, line_column, parse};
pub use source::{Document, SourceFile};
