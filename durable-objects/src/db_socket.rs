//! The database connection's TCP socket as tokio's `AsyncRead` + `AsyncWrite`, holding
//! its stream's reader and writer for the connection's whole life.
//!
//! Hand-written rather than `worker::Socket`, which takes the stream's reader (writer)
//! for each read (write) and releases it after: a release rejects the lock's `closed`
//! promise with a new `TypeError` (the Streams standard), so every read and write of a
//! query built an exception with its stack trace. The Worker's CPU profile of an
//! uncached product list (`BENCH_PROFILE=1 scripts/bench`) had 9 % of the isolate's
//! time in `releaseLock` alone. Here the locks are taken once.
//!
//! Writes do not wait: a write hands its bytes to the stream (which queues them in
//! order) and returns; a flush returns at once too. Waiting for each write's promise
//! woke the connection's task once more per message sent (the startup message, each
//! query, Terminate), about a third of what a `SELECT 1` on a new connection cost the
//! isolate. A write that failed is reported by the next write or flush that finds it
//! settled, and the socket's read fails anyway once the stream has errored. Only the
//! shutdown waits, for the last write (Terminate) to be handed on before the socket
//! closes.

use std::io::{Error as IoError, Result as IoResult};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::{self, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStreamDefaultReader, WritableStreamDefaultWriter};
use worker::worker_sys;

pub struct DbSocket {
    socket: worker_sys::Socket,
    reader: ReadableStreamDefaultReader,
    writer: WritableStreamDefaultWriter,
    /// The read in flight.
    reading: Option<JsFuture>,
    /// Bytes of the last chunk that did not fit the caller's buffer, and how many of them
    /// were handed out.
    left: Vec<u8>,
    taken: usize,
    /// The write in flight: its bytes are the stream's; its outcome is not known yet.
    writing: Option<JsFuture>,
}

fn io_error(context: &str, value: &JsValue) -> IoError {
    let detail = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"));
    IoError::other(format!("{context}: {detail}"))
}

impl DbSocket {
    /// Opens a socket through a Hyperdrive binding.
    pub fn connect(hyperdrive: &worker::Hyperdrive) -> Result<Self, String> {
        let binding: &worker_sys::types::Hyperdrive = hyperdrive.as_ref().unchecked_ref();
        let socket = binding
            .connect()
            .map_err(|e| io_error("connect", &e).to_string())?;
        let streams = || -> Result<_, JsValue> {
            let reader = socket.readable()?.get_reader().unchecked_into();
            let writer = socket.writable()?.get_writer()?;
            Ok((reader, writer))
        };
        let (reader, writer) = streams().map_err(|e| io_error("socket streams", &e).to_string())?;
        Ok(DbSocket {
            socket,
            reader,
            writer,
            reading: None,
            left: Vec::new(),
            taken: 0,
            writing: None,
        })
    }

    /// Waits for the write in flight, if any.
    fn poll_written(&mut self, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        let Some(write) = self.writing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let outcome = std::task::ready!(write.poll_unpin(cx));
        self.writing = None;
        Poll::Ready(outcome.map(drop).map_err(|e| io_error("write", &e)))
    }

    /// The failure of the last write if it has settled as one, without waiting for it
    /// (and without asking to be woken when it settles).
    fn written_so_far(&mut self) -> IoResult<()> {
        let mut unwoken = Context::from_waker(futures_util::task::noop_waker_ref());
        match self.poll_written(&mut unwoken) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => Ok(()),
        }
    }
}

/// Copies as much of `chunk` as fits into `buf`; returns how much it copied.
fn fill(buf: &mut ReadBuf<'_>, chunk: &[u8]) -> usize {
    let n = chunk.len().min(buf.remaining());
    buf.put_slice(&chunk[..n]);
    n
}

impl AsyncRead for DbSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<IoResult<()>> {
        let this = self.get_mut();
        if this.taken < this.left.len() {
            this.taken += fill(buf, &this.left[this.taken..]);
            return Poll::Ready(Ok(()));
        }
        let read = this
            .reading
            .get_or_insert_with(|| JsFuture::from(this.reader.read()));
        let result = std::task::ready!(read.poll_unpin(cx));
        this.reading = None;
        let result = result.map_err(|e| io_error("read", &e))?;
        let done = Reflect::get(&result, &JsValue::from_str("done"))
            .map_err(|e| io_error("read result", &e))?;
        if done.is_truthy() {
            return Poll::Ready(Ok(())); // end of stream: nothing filled
        }
        let chunk: Uint8Array = Reflect::get(&result, &JsValue::from_str("value"))
            .map_err(|e| io_error("read result", &e))?
            .unchecked_into();
        let len = chunk.length() as usize;
        if len <= buf.remaining() {
            // Straight into the caller's buffer, no intermediate copy.
            let target = buf.initialize_unfilled_to(len);
            chunk.copy_to(target);
            buf.advance(len);
        } else {
            this.left = chunk.to_vec();
            this.taken = fill(buf, &this.left);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for DbSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<IoResult<usize>> {
        let this = self.get_mut();
        this.written_so_far()?;
        let chunk = Uint8Array::from(buf);
        // A write still in flight is let go: the stream keeps the order, and its
        // promise's callbacks keep what they need until it settles.
        this.writing = Some(JsFuture::from(this.writer.write_with_chunk(&chunk)));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        Poll::Ready(self.get_mut().written_so_far())
    }

    /// Waits for the last write; the socket closes when it is dropped.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        self.get_mut().poll_written(cx)
    }
}

impl Drop for DbSocket {
    /// Closes both directions at once; nothing waits for the close.
    fn drop(&mut self) {
        let _ = self.socket.close();
    }
}
