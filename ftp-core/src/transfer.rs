//! STUB — API fixed, bodies to be written (helper: transfer).
#![allow(missing_docs)] // stub: remove when the module is written
use std::io::{Read, Write};
use crate::Error;

/// How file data is represented on the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation { Binary, Ascii }

/// Which way the data goes, relative to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction { Send, Receive }

/// Copies all of `from` into `to`, converting line ends for ASCII; returns bytes read from `from`.
pub fn copy<R: Read + ?Sized, W: Write + ?Sized>(from: &mut R, to: &mut W, repr: Representation, dir: Direction, progress: Option<&mut dyn FnMut(u64)>) -> Result<u64, Error> { let _ = (from, to, repr, dir, progress); Ok(0) }
