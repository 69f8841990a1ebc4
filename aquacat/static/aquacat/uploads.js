/* AquaCat resumable uploads: one large file sent in pieces that survive a dropped
   connection, then ingested by a worker while the page follows its progress.

   Local storage: chunks PATCHed at their offset (as tus does); after an error the
   client asks the server (HEAD) what it holds and sends the rest. S3: each part PUT
   to a presigned URL; after an error the client asks which parts S3 holds.
   Every chunk or part carries its sha256; the whole file's sha256 is computed while
   the file is sent, given with the completion and checked by the worker before
   anything is ingested.

   An upload survives a reload of the page: its URL is kept in localStorage under the
   file's name, size and date, and choosing the same file again resumes it.

   window.AquaCatUploads.send(file, {start, csrf, withoutMetadata, completion, progress,
   ingest, done, failed}); `completion`: more fields of the completion's body (the
   frame sampling of videos). */
(function () {
  "use strict";

  var CHUNK = 8 * 1024 * 1024; // local chunks (the server accepts larger)
  var POLL_MS = 1000;
  var RETRY_MAX_MS = 8000;

  /* --- SHA-256, streaming (WebCrypto digests whole buffers only) ----------------- */
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);

  function Sha256() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Uint32Array(64);
    this.tail = new Uint8Array(64);
    this.tailLength = 0;
    this.length = 0;
  }

  Sha256.prototype.blocks = function (bytes, start, end) {
    var w = this.w, h = this.h, i, t, a, b, c, d, e, f, g, hh, s0, s1, t1, t2;
    for (var p = start; p + 64 <= end; p += 64) {
      for (i = 0; i < 16; i++) {
        t = p + i * 4;
        w[i] = (bytes[t] << 24) | (bytes[t + 1] << 16) | (bytes[t + 2] << 8) | bytes[t + 3];
      }
      for (i = 16; i < 64; i++) {
        a = w[i - 15]; b = w[i - 2];
        s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
      for (i = 0; i < 64; i++) {
        s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
  };

  Sha256.prototype.update = function (bytes) {
    var offset = 0;
    this.length += bytes.length;
    if (this.tailLength) {
      var take = Math.min(64 - this.tailLength, bytes.length);
      this.tail.set(bytes.subarray(0, take), this.tailLength);
      this.tailLength += take;
      offset = take;
      if (this.tailLength < 64) return;
      this.blocks(this.tail, 0, 64);
      this.tailLength = 0;
    }
    var whole = offset + Math.floor((bytes.length - offset) / 64) * 64;
    this.blocks(bytes, offset, whole);
    this.tail.set(bytes.subarray(whole), 0);
    this.tailLength = bytes.length - whole;
  };

  Sha256.prototype.hex = function () {
    var bits = this.length * 8;
    var pad = new Uint8Array(this.tailLength < 56 ? 64 : 128);
    pad.set(this.tail.subarray(0, this.tailLength));
    pad[this.tailLength] = 0x80;
    var view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(pad.length - 4, bits >>> 0);
    this.blocks(pad, 0, pad.length);
    return Array.prototype.map.call(this.h, function (x) {
      return ("00000000" + x.toString(16)).slice(-8);
    }).join("");
  };

  function read(blob) {
    return blob.arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
  }

  /* The whole file's hash, fed with the bytes in order as they are sent; bytes sent
     again (a retry) are skipped, and bytes it never saw (a resume after a reload)
     are read and hashed before the upload goes on. */
  function FileHash(file) {
    this.file = file;
    this.hash = new Sha256();
    this.hashed = 0;
  }

  FileHash.prototype.feed = function (offset, bytes) {
    if (offset !== this.hashed) return;
    this.hash.update(bytes);
    this.hashed += bytes.length;
  };

  FileHash.prototype.catchUp = function (to, onProgress) {
    var self = this;
    if (self.hashed >= to) return Promise.resolve();
    var end = Math.min(self.hashed + CHUNK, to);
    return read(self.file.slice(self.hashed, end)).then(function (bytes) {
      self.feed(self.hashed, bytes);
      if (onProgress) onProgress(self.hashed, to);
      return self.catchUp(to, onProgress);
    });
  };

  FileHash.prototype.hex = function () {
    var self = this;
    return self.catchUp(self.file.size).then(function () { return self.hash.hex(); });
  };

  /* --- a page reload: where the file's upload was ---------------------------------- */
  function memoryKey(file, start) {
    return "aquacat-upload " + start + " " + file.name + " " + file.size + " " + file.lastModified;
  }

  function remember(key, url) {
    try { window.localStorage.setItem(key, url); } catch (error) { /* private mode */ }
  }

  function recall(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }

  function forget(key) {
    try { window.localStorage.removeItem(key); } catch (error) { /* private mode */ }
  }

  function digest(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (buffer) {
      var view = new Uint8Array(buffer);
      var hex = "", text = "";
      for (var i = 0; i < view.length; i++) {
        hex += ("0" + view[i].toString(16)).slice(-2);
        text += String.fromCharCode(view[i]);
      }
      return { hex: hex, base64: btoa(text) };
    });
  }

  /* --- requests ---------------------------------------------------------------- */
  function request(method, url, options) {
    options = options || {};
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(options.headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, options.headers[name]);
      });
      if (options.onProgress) {
        xhr.upload.onprogress = function (event) { options.onProgress(event.loaded); };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.onabort = function () { reject(new Error("network")); };
      xhr.send(options.body === undefined ? null : options.body);
    });
  }

  function json(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (error) { return null; }
  }

  function refusal(xhr) {
    var answer = json(xhr);
    var reason = (answer && (answer.detail || answer.title)) || ("the server answered " + xhr.status);
    return new Error(reason);
  }

  function retryAfter(xhr) {
    return 1000 * (parseInt(xhr.getResponseHeader("Retry-After"), 10) || 2);
  }

  function pause(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  /* --- one upload -------------------------------------------------------------- */
  function send(file, hooks) {
    var base = { "X-CSRFToken": hooks.csrf, Accept: "application/json" };
    var jsonHeaders = Object.assign({ "Content-Type": "application/json" }, base);
    var upload = null;
    var retries = 0;
    var whole = new FileHash(file);
    var key = memoryKey(file, hooks.start);

    // Bytes the hash has not seen yet (after a reload) are read before going on.
    function catchUp(offset) {
      if (whole.hashed >= offset) return Promise.resolve();
      return whole.catchUp(offset, function (done, total) {
        hooks.progress(null, "Checking what was sent " + Math.round((100 * done) / total) + "%");
      });
    }

    function api(method, url, body) {
      return request(method, url, { headers: body === undefined ? base : jsonHeaders,
        body: body === undefined ? undefined : JSON.stringify(body) });
    }

    // After a dropped connection: wait (less when the browser says it is online again).
    function recover() {
      retries += 1;
      hooks.progress(null, "Connection lost; resuming…");
      var wait = Math.min(RETRY_MAX_MS, 500 * Math.pow(2, Math.min(retries, 5)));
      return Promise.race([pause(wait), new Promise(function (resolve) {
        window.addEventListener("online", function once() {
          window.removeEventListener("online", once);
          resolve();
        });
      })]);
    }

    function sendLocal(offset) {
      if (offset >= file.size) return Promise.resolve();
      var end = Math.min(offset + Math.min(CHUNK, upload.chunk_max_bytes), file.size);
      return catchUp(offset).then(function () {
        return read(file.slice(offset, end));
      }).then(function (bytes) {
        return digest(bytes).then(function (sum) {
          var sending = request("PATCH", upload.url, {
            headers: Object.assign({
              "Content-Type": "application/offset+octet-stream",
              "Upload-Offset": String(offset),
              "Upload-Checksum": "sha256 " + sum.base64
            }, base),
            body: bytes,
            onProgress: function (loaded) { hooks.progress(offset + loaded, "Uploading"); }
          });
          whole.feed(offset, bytes); // while the browser sends the chunk
          return sending;
        });
      }).then(function (xhr) {
        if (xhr.status === 204) {
          retries = 0;
          var next = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
          hooks.progress(next, "Uploading");
          return sendLocal(next);
        }
        if (xhr.status === 429) return pause(retryAfter(xhr)).then(resumeLocal);
        if (xhr.status === 409 || xhr.status >= 500 || xhr.status === 0) return resumeLocal();
        throw refusal(xhr);
      }, function () { return recover().then(resumeLocal); });
    }

    function resumeLocal() {
      return request("HEAD", upload.url, { headers: base }).then(function (xhr) {
        if (xhr.status !== 204) throw refusal(xhr);
        return sendLocal(parseInt(xhr.getResponseHeader("Upload-Offset"), 10));
      }, function () { return recover().then(resumeLocal); });
    }

    function sendParts() {
      return api("GET", upload.url).then(function (xhr) {
        if (xhr.status !== 200) throw refusal(xhr);
        var state = json(xhr);
        var held = {};
        var bytes = 0;
        state.parts.forEach(function (p) { held[p.number] = true; bytes += p.size; });
        hooks.progress(bytes, "Uploading");
        var missing = [];
        for (var n = 1; n <= state.part_count; n++) if (!held[n]) missing.push(n);
        return missing.reduce(function (chain, number) {
          return chain.then(function () { return sendPart(number); });
        }, Promise.resolve());
      }, function () { return recover().then(sendParts); });
    }

    function sendPart(number) {
      var start = (number - 1) * upload.part_size;
      var end = Math.min(start + upload.part_size, file.size);
      var again = function () { return sendPart(number); };
      return catchUp(start).then(function () {
        return read(file.slice(start, end));
      }).then(function (bytes) {
        return digest(bytes).then(function (sum) {
          return api("POST", upload.url + "parts/", { parts: [{ number: number, sha256: sum.hex }] });
        }).then(function (xhr) {
          if (xhr.status === 429) return pause(retryAfter(xhr)).then(again);
          if (xhr.status !== 200) throw refusal(xhr);
          var part = json(xhr).parts[0];
          var sending = request("PUT", part.url, { headers: part.headers, body: bytes,
            onProgress: function (loaded) { hooks.progress(start + loaded, "Uploading"); }
          });
          whole.feed(start, bytes);
          return sending.then(function (put) {
            if (put.status >= 500) return recover().then(again);
            if (put.status !== 200) throw new Error("S3 refused part " + number + " (" + put.status + ")");
            retries = 0;
            hooks.progress(end, "Uploading");
          });
        });
      }).catch(function (error) {
        if (error.message !== "network") throw error;
        return recover().then(again);
      });
    }

    function follow() {
      return api("GET", upload.url).then(function (xhr) {
        var state = json(xhr);
        if (!state) throw refusal(xhr);
        var p = state.progress;
        if (state.state === "done") return state;
        if (state.state === "failed") throw new Error(state.error || "the ingest failed");
        var text = state.state === "queued" ? "Waiting for a worker" :
          "Ingesting " + p.files_done + (p.files_total ? " of " + p.files_total : "") + " files";
        hooks.ingest(p.files_done, p.files_total, text);
        return pause(POLL_MS).then(follow);
      }, function () { return pause(POLL_MS).then(follow); });
    }

    function complete(sha256) {
      var body = Object.assign({}, hooks.completion || {}, { sha256: sha256 });
      return api("POST", upload.url + "complete/", body).then(function (xhr) {
        if (xhr.status !== 202) throw refusal(xhr);
        forget(key);
        return follow();
      }, function () { return recover().then(function () { return complete(sha256); }); });
    }

    function begin() {
      return api("POST", hooks.start, { file_name: file.name, size: file.size,
        without_metadata: Boolean(hooks.withoutMetadata) }).then(function (xhr) {
        if (xhr.status !== 201) throw refusal(xhr);
        upload = json(xhr);
        remember(key, upload.url);
        if (hooks.started) hooks.started(upload);
        return upload.backend === "s3" ? sendParts() : sendLocal(0);
      });
    }

    // The upload this file began before the page was reloaded, if it is still open.
    function resume(url) {
      return api("GET", url).then(function (xhr) {
        var state = xhr.status === 200 ? json(xhr) : null;
        if (!state || state.state !== "uploading" || state.size !== file.size) {
          forget(key);
          return begin();
        }
        upload = state;
        hooks.progress(state.progress.bytes_received, "Resuming");
        if (hooks.started) hooks.started(upload);
        return upload.backend === "s3" ? sendParts() : resumeLocal();
      }, function () { return recover().then(function () { return resume(url); }); });
    }

    var earlier = recall(key);
    hooks.progress(0, earlier ? "Resuming" : "Starting");
    return (earlier ? resume(earlier) : begin()).then(function () {
      hooks.progress(file.size, "Checking the file");
      return whole.hex();
    }).then(function (sha256) {
      hooks.progress(file.size, "Ingesting");
      return complete(sha256);
    }).then(function (state) {
      hooks.done(state.batch);
    }).catch(function (error) {
      if (error.message !== "network") forget(key); // refused for good: start afresh next time
      hooks.failed(error.message === "network" ? "network error" : error.message);
    });
  }

  function cancel(upload, csrf) {
    return request("DELETE", upload.url, { headers: { "X-CSRFToken": csrf } });
  }

  window.AquaCatUploads = { send: send, cancel: cancel, Sha256: Sha256, FileHash: FileHash };
})();
