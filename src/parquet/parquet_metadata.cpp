#include "parquet/parquet_metadata.h"

#include "parquet/thrift_compact.h"

namespace pixguard::parquet::format {
namespace {

using thrift::CompactReader;
using thrift::CompactWriter;
using TType = thrift::Type;

// Caps on counts in the footer: far above any real file, low enough that a corrupt count
// fails instead of allocating without bound (the reader's own list-length check also
// bounds every count by the bytes left).
constexpr uint32_t kMaxSchemaElements = 100000;

void write_statistics(CompactWriter& w, int16_t id, const Statistics& s) {
  w.begin_struct(id);
  if (s.has_max) w.field_binary(1, s.max);
  if (s.has_min) w.field_binary(2, s.min);
  if (s.has_null_count) w.field_i64(3, s.null_count);
  if (s.has_max_value) w.field_binary(5, s.max_value);
  if (s.has_min_value) w.field_binary(6, s.min_value);
  w.end_struct();
}

void write_logical_type(CompactWriter& w, const SchemaElement& e) {
  w.begin_struct(10);
  w.begin_struct(static_cast<int16_t>(e.logical));
  if (e.logical == kLogicalDecimal) {
    w.field_i32(1, e.logical_scale);
    w.field_i32(2, e.logical_precision);
  } else if (e.logical == kLogicalTimestamp || e.logical == kLogicalTime) {
    w.field_bool(1, e.logical_utc);
    w.begin_struct(2);
    w.begin_struct(static_cast<int16_t>(e.logical_unit));
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  w.end_struct();
}

void write_schema_element(CompactWriter& w, const SchemaElement& e) {
  w.begin_struct_element();
  if (e.type >= 0) w.field_i32(1, e.type);
  if (e.type == kFixedLenByteArray) w.field_i32(2, e.type_length);
  if (e.repetition >= 0) w.field_i32(3, e.repetition);
  w.field_binary(4, e.name);
  if (e.num_children >= 0) w.field_i32(5, e.num_children);
  if (e.converted_type >= 0) w.field_i32(6, e.converted_type);
  if (e.has_scale_precision) {
    w.field_i32(7, e.scale);
    w.field_i32(8, e.precision);
  }
  if (e.logical != kLogicalNone) write_logical_type(w, e);
  w.end_struct_element();
}

void write_column_chunk(CompactWriter& w, const ColumnChunk& c) {
  w.begin_struct_element();
  w.field_i64(2, c.file_offset);
  if (c.has_meta_data) {
    const ColumnMetaData& m = c.meta_data;
    w.begin_struct(3);
    w.field_i32(1, m.type);
    w.begin_list(2, TType::kI32, m.encodings.size());
    for (int32_t e : m.encodings) w.element_i32(e);
    w.begin_list(3, TType::kBinary, m.path_in_schema.size());
    for (const std::string& p : m.path_in_schema) w.element_binary(p);
    w.field_i32(4, m.codec);
    w.field_i64(5, m.num_values);
    w.field_i64(6, m.total_uncompressed_size);
    w.field_i64(7, m.total_compressed_size);
    w.field_i64(9, m.data_page_offset);
    if (m.has_dictionary_page_offset) w.field_i64(11, m.dictionary_page_offset);
    if (m.has_statistics) write_statistics(w, 12, m.statistics);
    w.end_struct();
  }
  w.end_struct_element();
}

// --- decoding -----------------------------------------------------------------------------

// Reads a struct's fields with `on_field(id, type)`, which must consume the value (or call
// r.skip(type)). The caller has read the struct's field header (or list element) already.
template <typename F>
void read_struct(CompactReader& r, F&& on_field) {
  r.enter_struct();
  int16_t id;
  TType t;
  while (r.next_field(&id, &t)) on_field(id, t);
  r.leave_struct();
}

// A field of the expected type, or a skip (and no value) when the type differs.
bool is(CompactReader& r, TType actual, TType expected) {
  if (actual == expected) return true;
  r.skip(actual);
  return false;
}
bool is_bool(TType t) { return t == TType::kBoolTrue || t == TType::kBoolFalse; }

void read_statistics(CompactReader& r, Statistics* s) {
  read_struct(r, [&](int16_t id, TType t) {
    switch (id) {
      case 1: if (is(r, t, TType::kBinary)) { s->max = r.read_binary(); s->has_max = true; } break;
      case 2: if (is(r, t, TType::kBinary)) { s->min = r.read_binary(); s->has_min = true; } break;
      case 3: if (is(r, t, TType::kI64)) { s->null_count = r.read_i64(); s->has_null_count = true; } break;
      case 5: if (is(r, t, TType::kBinary)) { s->max_value = r.read_binary(); s->has_max_value = true; } break;
      case 6: if (is(r, t, TType::kBinary)) { s->min_value = r.read_binary(); s->has_min_value = true; } break;
      default: r.skip(t);
    }
  });
}

void read_time_unit(CompactReader& r, int32_t* unit) {
  read_struct(r, [&](int16_t id, TType t) {
    *unit = id;
    r.skip(t);
  });
}

void read_logical_type(CompactReader& r, SchemaElement* e) {
  read_struct(r, [&](int16_t id, TType t) {
    if (t != TType::kStruct) {
      r.skip(t);
      return;
    }
    e->logical = id;
    const bool decimal = id == kLogicalDecimal, timed = id == kLogicalTimestamp || id == kLogicalTime;
    read_struct(r, [&](int16_t sub, TType st) {
      if (decimal && sub == 1) {
        if (is(r, st, TType::kI32)) e->logical_scale = r.read_i32();
      } else if (decimal && sub == 2) {
        if (is(r, st, TType::kI32)) e->logical_precision = r.read_i32();
      } else if (timed && sub == 1 && is_bool(st)) {
        e->logical_utc = r.bool_value();
      } else if (timed && sub == 2) {
        if (is(r, st, TType::kStruct)) read_time_unit(r, &e->logical_unit);
      } else {
        r.skip(st);
      }
    });
  });
}

void read_schema_element(CompactReader& r, SchemaElement* e) {
  read_struct(r, [&](int16_t id, TType t) {
    switch (id) {
      case 1: if (is(r, t, TType::kI32)) e->type = r.read_i32(); break;
      case 2: if (is(r, t, TType::kI32)) e->type_length = r.read_i32(); break;
      case 3: if (is(r, t, TType::kI32)) e->repetition = r.read_i32(); break;
      case 4: if (is(r, t, TType::kBinary)) e->name = r.read_binary(); break;
      case 5: if (is(r, t, TType::kI32)) e->num_children = r.read_i32(); break;
      case 6: if (is(r, t, TType::kI32)) e->converted_type = r.read_i32(); break;
      case 7: if (is(r, t, TType::kI32)) { e->scale = r.read_i32(); e->has_scale_precision = true; } break;
      case 8: if (is(r, t, TType::kI32)) { e->precision = r.read_i32(); e->has_scale_precision = true; } break;
      case 10: if (is(r, t, TType::kStruct)) read_logical_type(r, e); break;
      default: r.skip(t);
    }
  });
}

void read_column_meta_data(CompactReader& r, ColumnMetaData* m) {
  read_struct(r, [&](int16_t id, TType t) {
    switch (id) {
      case 1: if (is(r, t, TType::kI32)) m->type = r.read_i32(); break;
      case 2:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          for (uint32_t i = 0; i < n && !r.failed(); ++i) m->encodings.push_back(r.read_i32());
        }
        break;
      case 3:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          if (et != TType::kBinary) r.fail();
          for (uint32_t i = 0; i < n && !r.failed(); ++i) m->path_in_schema.emplace_back(r.read_binary());
        }
        break;
      case 4: if (is(r, t, TType::kI32)) m->codec = r.read_i32(); break;
      case 5: if (is(r, t, TType::kI64)) m->num_values = r.read_i64(); break;
      case 6: if (is(r, t, TType::kI64)) m->total_uncompressed_size = r.read_i64(); break;
      case 7: if (is(r, t, TType::kI64)) m->total_compressed_size = r.read_i64(); break;
      case 9: if (is(r, t, TType::kI64)) m->data_page_offset = r.read_i64(); break;
      case 11:
        if (is(r, t, TType::kI64)) {
          m->dictionary_page_offset = r.read_i64();
          m->has_dictionary_page_offset = true;
        }
        break;
      case 12:
        if (is(r, t, TType::kStruct)) {
          read_statistics(r, &m->statistics);
          m->has_statistics = true;
        }
        break;
      default: r.skip(t);
    }
  });
}

void read_row_group(CompactReader& r, RowGroup* g) {
  read_struct(r, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          if (et != TType::kStruct) r.fail();
          for (uint32_t i = 0; i < n && !r.failed(); ++i) {
            ColumnChunk& c = g->columns.emplace_back();
            read_struct(r, [&](int16_t cid, TType ct) {
              if (cid == 2 && is(r, ct, TType::kI64)) {
                c.file_offset = r.read_i64();
              } else if (cid == 3 && is(r, ct, TType::kStruct)) {
                read_column_meta_data(r, &c.meta_data);
                c.has_meta_data = true;
              } else if (cid != 2 && cid != 3) {
                r.skip(ct);
              }
            });
          }
        }
        break;
      case 2: if (is(r, t, TType::kI64)) g->total_byte_size = r.read_i64(); break;
      case 3: if (is(r, t, TType::kI64)) g->num_rows = r.read_i64(); break;
      case 5: if (is(r, t, TType::kI64)) { g->file_offset = r.read_i64(); g->has_file_offset = true; } break;
      case 6: if (is(r, t, TType::kI64)) g->total_compressed_size = r.read_i64(); break;
      default: r.skip(t);
    }
  });
}

}  // namespace

void encode_file_metadata(const FileMetaData& m, std::string* out) {
  CompactWriter w(out);
  w.field_i32(1, m.version);
  w.begin_list(2, TType::kStruct, m.schema.size());
  for (const SchemaElement& e : m.schema) write_schema_element(w, e);
  w.field_i64(3, m.num_rows);
  w.begin_list(4, TType::kStruct, m.row_groups.size());
  for (const RowGroup& g : m.row_groups) {
    w.begin_struct_element();
    w.begin_list(1, TType::kStruct, g.columns.size());
    for (const ColumnChunk& c : g.columns) write_column_chunk(w, c);
    w.field_i64(2, g.total_byte_size);
    w.field_i64(3, g.num_rows);
    if (g.has_file_offset) {
      w.field_i64(5, g.file_offset);
      w.field_i64(6, g.total_compressed_size);
    }
    w.end_struct_element();
  }
  if (!m.key_value_metadata.empty()) {
    w.begin_list(5, TType::kStruct, m.key_value_metadata.size());
    for (const auto& [k, v] : m.key_value_metadata) {
      w.begin_struct_element();
      w.field_binary(1, k);
      w.field_binary(2, v);
      w.end_struct_element();
    }
  }
  if (m.has_created_by) w.field_binary(6, m.created_by);
  if (m.column_orders > 0) {
    w.begin_list(7, TType::kStruct, static_cast<std::size_t>(m.column_orders));
    for (int32_t i = 0; i < m.column_orders; ++i) {
      w.begin_struct_element();  // ColumnOrder union
      w.begin_struct(1);         // TYPE_ORDER: TypeDefinedOrder {}
      w.end_struct();
      w.end_struct_element();
    }
  }
  w.stop();
}

Status decode_file_metadata(std::string_view in, FileMetaData* m) {
  CompactReader r(in);
  bool have_version = false, have_schema = false, have_rows = false, have_groups = false;
  int16_t id;
  TType t;
  while (r.next_field(&id, &t)) {
    switch (id) {
      case 1: if (is(r, t, TType::kI32)) { m->version = r.read_i32(); have_version = true; } break;
      case 2:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          if (et != TType::kStruct || n > kMaxSchemaElements) r.fail();
          for (uint32_t i = 0; i < n && !r.failed(); ++i) read_schema_element(r, &m->schema.emplace_back());
          have_schema = true;
        }
        break;
      case 3: if (is(r, t, TType::kI64)) { m->num_rows = r.read_i64(); have_rows = true; } break;
      case 4:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          if (et != TType::kStruct) r.fail();
          for (uint32_t i = 0; i < n && !r.failed(); ++i) read_row_group(r, &m->row_groups.emplace_back());
          have_groups = true;
        }
        break;
      case 5:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          if (et != TType::kStruct) r.fail();
          for (uint32_t i = 0; i < n && !r.failed(); ++i) {
            auto& kv = m->key_value_metadata.emplace_back();
            read_struct(r, [&](int16_t kid, TType kt) {
              if (kid == 1 && is(r, kt, TType::kBinary)) kv.first = r.read_binary();
              else if (kid == 2 && is(r, kt, TType::kBinary)) kv.second = r.read_binary();
              else if (kid != 1 && kid != 2) r.skip(kt);
            });
          }
        }
        break;
      case 6: if (is(r, t, TType::kBinary)) { m->created_by = r.read_binary(); m->has_created_by = true; } break;
      case 7:
        if (is(r, t, TType::kList)) {
          TType et;
          const uint32_t n = r.read_list_header(&et);
          for (uint32_t i = 0; i < n && !r.failed(); ++i) r.skip(et);
          m->column_orders = static_cast<int32_t>(n);
        }
        break;
      default: r.skip(t);
    }
  }
  if (r.failed()) return Status::Corruption("footer: malformed Thrift at byte " + std::to_string(r.position()));
  if (!have_version || !have_schema || !have_rows || !have_groups) {
    return Status::Corruption("footer: FileMetaData lacks a required field (version, schema, num_rows, row_groups)");
  }
  return Status::Ok();
}

void encode_page_header(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.field_i32(1, h.type);
  w.field_i32(2, h.uncompressed_page_size);
  w.field_i32(3, h.compressed_page_size);
  if (h.type == kDataPage) {
    w.begin_struct(5);
    w.field_i32(1, h.num_values);
    w.field_i32(2, h.encoding);
    w.field_i32(3, h.definition_level_encoding);
    w.field_i32(4, h.repetition_level_encoding);
    w.end_struct();
  } else if (h.type == kDictionaryPage) {
    w.begin_struct(7);
    w.field_i32(1, h.num_values);
    w.field_i32(2, h.encoding);
    w.end_struct();
  }
  w.stop();
}

Status decode_page_header(std::string_view in, PageHeader* h, std::size_t* size) {
  CompactReader r(in);
  bool have_type = false, have_sizes = false;
  int16_t id;
  TType t;
  while (r.next_field(&id, &t)) {
    switch (id) {
      case 1: if (is(r, t, TType::kI32)) { h->type = r.read_i32(); have_type = true; } break;
      case 2: if (is(r, t, TType::kI32)) h->uncompressed_page_size = r.read_i32(); break;
      case 3: if (is(r, t, TType::kI32)) { h->compressed_page_size = r.read_i32(); have_sizes = true; } break;
      case 5:
      case 7:
        if (is(r, t, TType::kStruct)) {
          if ((id == 5) != (h->type == kDataPage) || (id == 7) != (h->type == kDictionaryPage)) {
            r.skip(t);
            break;
          }
          h->has_page_header = true;
          read_struct(r, [&](int16_t sid, TType st) {
            if (sid == 1 && is(r, st, TType::kI32)) h->num_values = r.read_i32();
            else if (sid == 2 && is(r, st, TType::kI32)) h->encoding = r.read_i32();
            else if (id == 5 && sid == 3 && is(r, st, TType::kI32)) h->definition_level_encoding = r.read_i32();
            else if (id == 5 && sid == 4 && is(r, st, TType::kI32)) h->repetition_level_encoding = r.read_i32();
            else if (sid > 4 || (id == 7 && sid > 2)) r.skip(st);
          });
        }
        break;
      case 8:
        if (is(r, t, TType::kStruct)) {
          if (h->type != kDataPageV2) {
            r.skip(t);
            break;
          }
          h->has_page_header = true;
          read_struct(r, [&](int16_t sid, TType st) {
            switch (sid) {
              case 1: if (is(r, st, TType::kI32)) h->num_values = r.read_i32(); break;
              case 2: if (is(r, st, TType::kI32)) h->num_nulls = r.read_i32(); break;
              case 3: if (is(r, st, TType::kI32)) h->num_rows = r.read_i32(); break;
              case 4: if (is(r, st, TType::kI32)) h->encoding = r.read_i32(); break;
              case 5: if (is(r, st, TType::kI32)) h->definition_levels_byte_length = r.read_i32(); break;
              case 6: if (is(r, st, TType::kI32)) h->repetition_levels_byte_length = r.read_i32(); break;
              case 7: if (is_bool(st)) h->is_compressed = r.bool_value(); else r.skip(st); break;
              default: r.skip(st);
            }
          });
        }
        break;
      default: r.skip(t);
    }
  }
  if (r.failed()) return Status::Corruption("page header: malformed Thrift");
  if (!have_type || !have_sizes) return Status::Corruption("page header: lacks type or sizes");
  if (h->uncompressed_page_size < 0 || h->compressed_page_size < 0 || h->num_values < 0 || h->num_nulls < 0 ||
      h->definition_levels_byte_length < 0 || h->repetition_levels_byte_length < 0) {
    return Status::Corruption("page header: negative size or count");
  }
  *size = r.position();
  return Status::Ok();
}

}  // namespace pixguard::parquet::format
