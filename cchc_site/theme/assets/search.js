/* cchc-site search page (/tim-kiem/?q=...).
 *
 * Reads the static index that cchc_site/search.py writes under /tim-kiem/chi-muc/:
 * meta.json, then only the shards of the query's words (t/<n>.json), then only the
 * metadata chunks of the results shown (d/<k>.json). Same-origin fetches only.
 * The ranking mirrors cchc_site.search.rank (the tests compare both).
 */
(function () {
  "use strict";

  var WORD = /[0-9]+(?:[.,][0-9]+)+|[\p{L}\p{N}_\u0300-\u036f]+/gu;
  var MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  var KINDS = { "tin": "Tin, bài", "trang": "Trang", "thu-tuc": "Thủ tục hành chính" };

  function words(text) {
    return String(text).normalize("NFC").toLowerCase().match(WORD) || [];
  }

  function fold(word) {
    return String(word).toLowerCase().normalize("NFD").replace(MARKS, "").replace(/đ/g, "d");
  }

  function unique(list) {
    var seen = {};
    return list.filter(function (x) {
      if (Object.prototype.hasOwnProperty.call(seen, x)) return false;
      seen[x] = true;
      return true;
    });
  }

  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function queryWords(query, limit) {
    var typed = unique(words(query));
    var keys = unique(typed.map(fold));
    if (keys.length > limit) {  /* keep numbers (codes, years) first: they are the most selective */
      var digit = function (k) { return /[0-9]/.test(k); };
      var chosen = keys.filter(digit).concat(keys.filter(function (k) { return !digit(k); })).slice(0, limit);
      keys = keys.filter(function (k) { return chosen.indexOf(k) !== -1; });
    }
    typed = typed.filter(function (w) { return keys.indexOf(fold(w)) !== -1; });
    return { keys: keys, typed: typed };
  }

  function decode(entry) {
    var out = {};
    Object.keys(entry || {}).forEach(function (form) {
      var doc = 0;
      out[form] = entry[form].map(function (value) {
        doc += Math.floor(value / 8);
        return [doc, value % 8];
      });
    });
    return out;
  }

  /* Same order as cchc_site.search.rank: matched words, exact diacritics, title words,
     score, later document first. */
  function rank(postings, keys, typed, docs) {
    var stats = new Map();
    keys.forEach(function (key) {
      var forms = postings[key] || {};
      var merged = new Map();
      Object.keys(forms).forEach(function (form) {
        forms[form].forEach(function (p) {
          var old = merged.get(p[0]);
          merged.set(p[0], old === undefined ? p[1] : ((old | p[1]) & 4) | Math.max(old & 3, p[1] & 3));
        });
      });
      if (!merged.size) return;
      var idf = Math.floor(100 * Math.log(1 + docs / merged.size) + 0.5);
      merged.forEach(function (flags, doc) {
        var s = stats.get(doc);
        if (!s) { s = [0, 0, 0, 0]; stats.set(doc, s); }
        var title = flags >> 2;
        s[0] += 1;
        s[2] += title;
        s[3] += idf * (4 * title + 1 + (flags & 3));
      });
      typed.forEach(function (word) {
        if (fold(word) !== key || !forms[word]) return;
        forms[word].forEach(function (p) { stats.get(p[0])[1] += (p[1] & 4) ? 2 : 1; });
      });
    });
    var every = [];
    stats.forEach(function (s, doc) { if (s[0] === keys.length) every.push(doc); });
    var pool = every.length ? every : Array.from(stats.keys());
    pool.sort(function (a, b) {
      var x = stats.get(a), y = stats.get(b);
      return (y[0] - x[0]) || (y[1] - x[1]) || (y[2] - x[2]) || (y[3] - x[3]) || (b - a);
    });
    return { order: pool, allWords: every.length > 0 || stats.size === 0 };
  }

  function vnDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }

  /* Text with the words whose folded form is searched wrapped in <mark>. */
  function highlighted(text, keys) {
    var frag = document.createDocumentFragment();
    var last = 0;
    text.replace(WORD, function (match, offset) {
      if (keys.indexOf(fold(match.toLowerCase())) !== -1) {
        if (offset > last) frag.appendChild(document.createTextNode(text.slice(last, offset)));
        var mark = document.createElement("mark");
        mark.textContent = match;
        frag.appendChild(mark);
        last = offset + match.length;
      }
      return match;
    });
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function Search(container, status) {
    this.container = container;
    this.status = status;
    this.indexUrl = container.getAttribute("data-index");
    this.base = document.body.getAttribute("data-base") || "/";
    this.cache = {};
  }

  Search.prototype.fetchJson = function (path, fresh) {
    var url = this.indexUrl + path;
    if (this.meta) url += "?v=" + encodeURIComponent(this.meta.id);
    if (!this.cache[url]) {
      this.cache[url] = fetch(url, fresh ? { cache: "no-cache" } : {}).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    return this.cache[url];
  };

  Search.prototype.run = function (query) {
    var self = this;
    self.setState("loading");
    self.say("Đang tìm…");
    return self.fetchJson("meta.json", true).then(function (meta) {
      self.meta = meta;
      var q = queryWords(query, meta.words);
      self.keys = q.keys;
      if (!q.keys.length) {
        self.say("Từ khóa không có chữ hoặc số nào. Hãy nhập từ khóa khác.");
        self.setState("done", 0);
        return null;
      }
      var shards = unique(q.keys.map(function (k) { return fnv1a(k) % meta.shards; }));
      return Promise.all(shards.map(function (n) { return self.fetchJson("t/" + n + ".json"); }))
        .then(function (loaded) {
          var postings = {};
          q.keys.forEach(function (k) {
            var shard = loaded[shards.indexOf(fnv1a(k) % meta.shards)];
            postings[k] = decode(Object.prototype.hasOwnProperty.call(shard, k) ? shard[k] : null);
          });
          var ranked = rank(postings, q.keys, q.typed, meta.docs);
          self.order = ranked.order;
          self.shown = 0;
          self.list = null;
          self.more = null;
          self.container.textContent = "";
          if (!ranked.order.length) {
            self.say("Không tìm thấy kết quả nào cho “" + query + "”. Hãy thử từ khóa khác hoặc ít từ hơn.");
            self.setState("done", 0);
            return null;
          }
          var text = "Tìm thấy " + ranked.order.length + " kết quả cho “" + query + "”.";
          if (!ranked.allWords) text += " Không có trang nào chứa đủ mọi từ; dưới đây là các trang chứa một phần từ khóa.";
          return self.showMore(false).then(function () {
            self.say(text);
            self.setState("done", ranked.order.length);
          });
        });
    }).catch(function () {
      self.say("Không tải được dữ liệu tìm kiếm. Vui lòng tải lại trang hoặc thử lại sau.");
      self.setState("error");
    });
  };

  Search.prototype.showMore = function (focusFirst) {
    var self = this;
    var meta = self.meta;
    var batch = self.order.slice(self.shown, self.shown + meta.batch);
    var chunks = unique(batch.map(function (d) { return Math.floor(d / meta.chunk); }));
    return Promise.all(chunks.map(function (c) { return self.fetchJson("d/" + c + ".json"); }))
      .then(function (loaded) {
        if (!self.list) {
          self.list = document.createElement("ol");
          self.list.className = "results";
          self.container.appendChild(self.list);
        }
        var first = null;
        batch.forEach(function (doc) {
          var row = loaded[chunks.indexOf(Math.floor(doc / meta.chunk))][doc % meta.chunk];
          var link = self.renderHit(row);
          if (!first) first = link;
        });
        self.shown += batch.length;
        self.updateMoreButton();
        if (focusFirst && first) first.focus();
      });
  };

  Search.prototype.renderHit = function (row) {
    var title = row[0], url = row[1], kind = row[2], date = row[3], summary = row[4];
    var li = document.createElement("li");
    var h = document.createElement("h2");
    h.className = "result-title";
    var a = document.createElement("a");
    a.href = this.base + url.replace(/^\//, "");
    a.appendChild(highlighted(title, this.keys));
    h.appendChild(a);
    li.appendChild(h);
    var meta = document.createElement("p");
    meta.className = "meta";
    var k = document.createElement("span");
    k.className = "kind";
    k.textContent = KINDS[kind] || kind;
    meta.appendChild(k);
    if (date) {
      meta.appendChild(document.createTextNode(" · "));
      var t = document.createElement("time");
      t.setAttribute("datetime", date);
      t.textContent = (kind === "thu-tuc" ? "cập nhật " : "") + vnDate(date);
      meta.appendChild(t);
    }
    li.appendChild(meta);
    if (summary) {
      var p = document.createElement("p");
      p.className = "summary";
      p.appendChild(highlighted(summary, this.keys));
      li.appendChild(p);
    }
    this.list.appendChild(li);
    return a;
  };

  Search.prototype.updateMoreButton = function () {
    var self = this;
    var left = self.order.length - self.shown;
    if (left <= 0) {
      if (self.more) { self.more.remove(); self.more = null; }
      return;
    }
    if (!self.more) {
      self.more = document.createElement("button");
      self.more.type = "button";
      self.more.className = "more-results";
      self.more.addEventListener("click", function () {
        self.more.disabled = true;
        self.showMore(true).then(function () {
          if (self.more) self.more.disabled = false;
          self.say("Đang hiển thị " + self.shown + " trên " + self.order.length + " kết quả.");
        });
      });
      self.container.appendChild(self.more);
    }
    self.more.textContent = "Xem thêm kết quả (còn " + left + ")";
  };

  Search.prototype.say = function (text) {
    this.status.textContent = text;
  };

  Search.prototype.setState = function (state, total) {
    this.container.setAttribute("data-state", state);
    if (total !== undefined) this.container.setAttribute("data-total", String(total));
  };

  function start() {
    var container = document.getElementById("ket-qua-tim-kiem");
    var status = document.getElementById("trang-thai-tim-kiem");
    if (!container || !status) return;
    var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
    ["q-tim-kiem", "q-dau-trang"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.value = query;
    });
    if (!query) {
      status.textContent = "Nhập từ khóa rồi bấm Tìm kiếm. Có thể gõ có dấu hoặc không dấu, hoặc mã thủ tục.";
      container.setAttribute("data-state", "idle");
      return;
    }
    document.title = "“" + query + "” – " + document.title;
    new Search(container, status).run(query);
  }

  window.cchcSearch = { words: words, fold: fold, fnv1a: fnv1a, queryWords: queryWords, rank: rank };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
