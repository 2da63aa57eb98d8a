#include "datasets/image_file.h"

// clang-format off: jpeglib.h needs <cstdio> (FILE, size_t) first.
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>  // the warnings' codes
// clang-format on
#include <png.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstring>
#include <stdexcept>

#include "core/util/files.h"

namespace attnlab {

namespace {

// Larger images are refused before any buffer is allocated (a corrupt header can claim 2^31 x 2^31).
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("cannot read image " + path + ": " + what);
}


void check_size(const std::string& path, uint64_t width, uint64_t height) {
  if (width == 0 || height == 0 || width * height > kMaxPixels)
    fail(path, std::to_string(height) + "x" + std::to_string(width) + " pixels is not a size this reader takes (at most 2^28 pixels)");
}

// ---- PNG: libpng's read API with an error handler that longjmps back (libpng's own way),
// the file read from memory. No gamma handling: samples come out as stored.

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::jmp_buf jump;
  char message[256] = "";
  const std::string* bytes = nullptr;
  size_t pos = 0;
  ~PngState() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  }
};

void png_fail(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", message);
  std::longjmp(state->jump, 1);
}

void png_warn(png_structp, png_const_charp) {}  // benign (an odd ancillary chunk): the pixels are fine

void png_read_memory(png_structp png, png_bytep out, size_t n) {
  auto* state = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > state->bytes->size() - state->pos) png_error(png, "read beyond end of data (the file is cut short)");
  std::memcpy(out, state->bytes->data() + state->pos, n);
  state->pos += n;
}

// The header, and the transformations to 8-bit gray, GA, RGB or RGBA samples.
bool png_read_header(PngState* state, DecodedImage* out, int64_t* samples) {
  if (setjmp(state->jump)) return false;
  state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, png_fail, png_warn);
  if (state->png) state->info = png_create_info_struct(state->png);
  if (!state->png || !state->info) {
    std::snprintf(state->message, sizeof state->message, "out of memory");
    return false;
  }
  png_set_read_fn(state->png, state, png_read_memory);
  png_read_info(state->png, state->info);
  const int colour_type = png_get_color_type(state->png, state->info);
  png_set_expand(state->png);  // palette -> RGB, gray of 1, 2, 4 bits -> 8, tRNS -> an alpha channel
  if (png_get_bit_depth(state->png, state->info) == 16) png_set_scale_16(state->png);  // v * 255 / 65535, rounded
  png_set_interlace_handling(state->png);
  png_read_update_info(state->png, state->info);
  out->height = png_get_image_height(state->png, state->info);
  out->width = png_get_image_width(state->png, state->info);
  out->channels = (colour_type & PNG_COLOR_MASK_COLOR) ? 3 : 1;
  *samples = png_get_channels(state->png, state->info);  // 1, 2, 3 or 4
  out->had_alpha = *samples == 2 || *samples == 4;
  return true;
}

bool png_read_rows(PngState* state, png_bytep* rows) {
  if (setjmp(state->jump)) return false;
  png_read_image(state->png, rows);
  png_read_end(state->png, nullptr);  // on to IEND: a file cut after its image data is caught
  return true;
}

DecodedImage decode_png(const std::string& path, const std::string& bytes) {
  PngState state;
  state.bytes = &bytes;
  DecodedImage out;
  out.format = "PNG";
  int64_t samples = 0;
  if (!png_read_header(&state, &out, &samples)) fail(path, std::string("libpng: ") + state.message);
  check_size(path, static_cast<uint64_t>(out.width), static_cast<uint64_t>(out.height));
  const size_t stride = static_cast<size_t>(out.width * samples);
  std::vector<uint8_t> raw(stride * static_cast<size_t>(out.height));
  std::vector<png_bytep> rows(static_cast<size_t>(out.height));
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = raw.data() + y * stride;
  if (!png_read_rows(&state, rows.data())) fail(path, std::string("libpng: ") + state.message);
  if (!out.had_alpha) {
    out.pixels = std::move(raw);
    return out;
  }
  // Alpha composited onto black: v * a / 255, rounded, on the stored values.
  const size_t n = static_cast<size_t>(out.height * out.width), c = static_cast<size_t>(out.channels);
  out.pixels.resize(n * c);
  for (size_t p = 0; p < n; ++p) {
    const unsigned alpha = raw[p * (c + 1) + c];
    for (size_t k = 0; k < c; ++k) out.pixels[p * c + k] = static_cast<uint8_t>((raw[p * (c + 1) + k] * alpha + 127) / 255);
  }
  return out;
}

// ---- JPEG: libjpeg with an error manager that longjmps back instead of exit()ing, and that
// turns warnings (corrupt or truncated data) into errors.

struct JpegErrors {
  jpeg_error_mgr mgr;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// The decoder's state lives in the caller's frame, so nothing the setjmp frame changes after
// setjmp needs to survive the longjmp in a register.
struct JpegState {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_message(j_common_ptr cinfo, int level) {
  // Warnings that mean pixels are missing or made up (a file cut short, a damaged segment)
  // are errors; the rest ("Corrupt JPEG data: 3 extraneous bytes before marker", harmless
  // bytes between segments, which PIL reads without a word) are not. Level >= 0: trace
  // messages, off at libjpeg's default trace level.
  const int code = cinfo->err->msg_code;
  if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_MUST_RESYNC ||
                    code == JWRN_HUFF_BAD_CODE || code == JWRN_ARITH_BAD_CODE || code == JWRN_NOT_SEQUENTIAL))
    jpeg_fail(cinfo);
}

// Errors that longjmp back to the caller's setjmp instead of exiting; warnings by jpeg_message.
void set_error_handlers(JpegState* state) {
  state->cinfo.err = jpeg_std_error(&state->errors.mgr);
  state->errors.mgr.error_exit = jpeg_fail;
  state->errors.mgr.emit_message = jpeg_message;
  state->errors.message[0] = '\0';
}

// The decompressor over `bytes`, its header read. Called after the caller's setjmp: an error
// here longjmps back there (this frame holds nothing with a destructor).
void read_header(JpegState* state, const std::string* bytes) {
  jpeg_create_decompress(&state->cinfo);
  jpeg_mem_src(&state->cinfo, reinterpret_cast<const unsigned char*>(bytes->data()),
               static_cast<unsigned long>(bytes->size()));
  jpeg_read_header(&state->cinfo, TRUE);
}

// Decodes into `out`; on failure returns false with the message in state->errors.message.
// Between setjmp and the last libjpeg call this frame holds no object with a destructor.
bool decode_jpeg_into(JpegState* state, const std::string* bytes, DecodedImage* out) {
  jpeg_decompress_struct* cinfo = &state->cinfo;
  set_error_handlers(state);
  if (setjmp(state->errors.jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  read_header(state, bytes);
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) {
    std::snprintf(state->errors.message, sizeof state->errors.message, "a CMYK JPEG (only grayscale and colour ones are read)");
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  const bool gray = cinfo->jpeg_color_space == JCS_GRAYSCALE;
  cinfo->out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);
  out->height = cinfo->output_height, out->width = cinfo->output_width, out->channels = cinfo->output_components;
  const size_t stride = static_cast<size_t>(out->width * out->channels);
  // The buffer was sized by the caller from the header; the output size is the same at scale 1.
  if (out->pixels.size() != stride * static_cast<size_t>(out->height)) {
    std::snprintf(state->errors.message, sizeof state->errors.message, "unexpected output size");
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo->output_scanline) * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return true;
}

// The header alone, to size the buffer before decoding (so that no allocation happens between
// setjmp and longjmp).
bool read_jpeg_header(JpegState* state, const std::string* bytes, int64_t* height, int64_t* width, int64_t* channels) {
  jpeg_decompress_struct* cinfo = &state->cinfo;
  set_error_handlers(state);
  if (setjmp(state->errors.jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  read_header(state, bytes);
  *height = cinfo->image_height, *width = cinfo->image_width;
  *channels = cinfo->jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
  jpeg_destroy_decompress(cinfo);
  return true;
}

DecodedImage decode_jpeg(const std::string& path, const std::string& bytes) {
  JpegState state;
  DecodedImage out;
  out.format = "JPEG";
  if (!read_jpeg_header(&state, &bytes, &out.height, &out.width, &out.channels))
    fail(path, std::string("libjpeg: ") + state.errors.message);
  check_size(path, static_cast<uint64_t>(out.width), static_cast<uint64_t>(out.height));
  out.pixels.assign(static_cast<size_t>(out.height * out.width * out.channels), 0);
  if (!decode_jpeg_into(&state, &bytes, &out)) fail(path, std::string("libjpeg: ") + state.errors.message);
  return out;
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  const std::string ext = lower_extension(name);
  return ext == "png" || ext == "jpg" || ext == "jpeg";
}

DecodedImage decode_image(const std::string& path) {
  const std::string bytes = read_file(path);
  static const char png_signature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  const bool png = bytes.size() >= 8 && std::memcmp(bytes.data(), png_signature, 8) == 0;
  const bool jpeg = bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF && static_cast<uint8_t>(bytes[1]) == 0xD8 &&
                    static_cast<uint8_t>(bytes[2]) == 0xFF;
  if (png) return decode_png(path, bytes);
  if (jpeg) return decode_jpeg(path, bytes);
  if (bytes.empty()) fail(path, "the file is empty");
  // Neither signature: the decoder the extension names says what is wrong.
  const std::string ext = lower_extension(path);
  try {
    if (ext == "jpg" || ext == "jpeg") return decode_jpeg(path, bytes);
    return decode_png(path, bytes);
  } catch (const std::runtime_error& e) {
    fail(path, "not a PNG or JPEG file by its first bytes; " + std::string(e.what()).substr(("cannot read image " + path + ": ").size()));
  }
}

}  // namespace attnlab
