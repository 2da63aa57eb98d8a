// Generates text from an exported attnlab GPT with LibTorch alone:
//   generate FILE [--prompt TEXT] [--max-new-tokens N] [--temperature T] [--top-k K] [--seed S]
// The file carries everything: the model (method forward: ids [B, T] -> logits [B, T, V]; a
// Transformer-XL model forward_segment, which carries its memory), its block size (attnlab.json
// "max_length") and its char tokenizer (tokenizer.json "chars").
// Sampling follows `attnlab generate`, so the same arguments give the same text.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>

#include <iostream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Appends code point cp to out as UTF-8.
void put_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Just enough JSON for the two files used here: the string array, or the number, at "key".
size_t find_value(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\"");
  if (at == std::string::npos) throw std::runtime_error("no \"" + key + "\" in the export's JSON");
  return json.find(':', at) + 1;
}

std::vector<std::string> string_array(const std::string& json, const std::string& key) {
  std::vector<std::string> out;
  size_t i = json.find('[', find_value(json, key)) + 1;
  while (true) {
    while (json[i] == ' ' || json[i] == '\n' || json[i] == ',') ++i;
    if (json[i] == ']') return out;
    if (json[i++] != '"') throw std::runtime_error("malformed string array at \"" + key + "\"");
    std::string s;
    while (json[i] != '"') {
      if (json[i] != '\\') {
        s += json[i++];
        continue;
      }
      const char e = json[i + 1];
      i += 2;
      if (e == 'u') {
        uint32_t cp = std::stoul(json.substr(i, 4), nullptr, 16);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair: \uD8xx\uDCxx
          cp = 0x10000 + ((cp - 0xD800) << 10) + (std::stoul(json.substr(i + 2, 4), nullptr, 16) - 0xDC00);
          i += 6;
        }
        put_utf8(cp, s);
      } else {
        const std::map<char, char> simple = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'}, {'b', '\b'}, {'f', '\f'}};
        s += simple.count(e) ? simple.at(e) : e;  // \" \\ \/
      }
    }
    ++i;
    out.push_back(s);
  }
}

int64_t number(const std::string& json, const std::string& key) { return std::stoll(json.substr(find_value(json, key))); }

// The char tokenizer: the special tokens (if any), then one entry per character.
struct CharVocab {
  std::vector<std::string> pieces;
  std::map<std::string, int64_t> ids;
  explicit CharVocab(const std::string& json) {
    if (json.find("\"char\"") == std::string::npos)
      throw std::runtime_error("this example reads char tokenizers only (tokenizer.json type \"char\")");
    if (json.find("\"specials\"") != std::string::npos) pieces = string_array(json, "specials");
    const size_t n_specials = pieces.size();
    for (const auto& c : string_array(json, "chars")) pieces.push_back(c);
    for (size_t i = n_specials; i < pieces.size(); ++i) ids[pieces[i]] = static_cast<int64_t>(i);
  }
  std::vector<int64_t> encode(const std::string& text) const {
    std::vector<int64_t> out;
    for (size_t i = 0; i < text.size();) {
      const auto c = static_cast<unsigned char>(text[i]);
      const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      auto it = ids.find(text.substr(i, len));
      if (it == ids.end()) throw std::runtime_error("character '" + text.substr(i, len) + "' is not in the vocabulary");
      out.push_back(it->second);
      i += len;
    }
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::cerr << "usage: generate FILE [--prompt TEXT] [--max-new-tokens N] [--temperature T] [--top-k K] [--seed S]\n";
    return 2;
  }
  std::string prompt = "\n";
  int64_t max_new_tokens = 200, top_k = 200;
  double temperature = 0.8;
  uint64_t seed = 1337;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--prompt") prompt = value;
    else if (flag == "--max-new-tokens") max_new_tokens = std::stoll(value);
    else if (flag == "--temperature") temperature = std::stod(value);
    else if (flag == "--top-k") top_k = std::stoll(value);
    else if (flag == "--seed") seed = std::stoull(value);
    else throw std::runtime_error("unknown option " + flag);
  }

  torch::jit::ExtraFilesMap files{{"attnlab.json", ""}, {"tokenizer.json", ""}, {"config.json", ""}};
  torch::jit::Module model = torch::jit::load(argv[1], torch::kCPU, files);
  model.eval();
  if (files["attnlab.json"].find("\"gpt\"") == std::string::npos)
    throw std::runtime_error(std::string(argv[1]) + " is not an exported attnlab GPT");
  const int64_t block_size = number(files["attnlab.json"], "max_length");
  const CharVocab vocab(files["tokenizer.json"]);

  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  auto idx = torch::tensor(vocab.encode(prompt), torch::kLong).unsqueeze(0);
  // Transformer-XL (model.memory_length): segments of block_size from the first token, each
  // continuing the memory of those before, which starts as zeros with memory_filled 0.
  const auto segment_method = model.find_method("forward_segment");
  torch::Tensor memory, filled;
  int64_t segment_start = 0;
  if (segment_method) {
    const std::string& config = files["config.json"];
    memory = torch::zeros({number(config, "n_layer"), 1, number(config, "memory_length"), number(config, "n_embd")});
    filled = torch::zeros({1}, torch::kLong);
  }
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    const int64_t T = idx.size(1);
    torch::Tensor logits;  // [1, T', V]
    if (segment_method) {
      for (; T - segment_start > block_size; segment_start += block_size) {
        const auto out = (*segment_method)({idx.narrow(1, segment_start, block_size), memory, filled}).toTuple();
        memory = out->elements()[1].toTensor(), filled = out->elements()[2].toTensor();
      }
      const auto segment = idx.narrow(1, segment_start, T - segment_start);
      logits = (*segment_method)({segment, memory, filled}).toTuple()->elements()[0].toTensor();
    } else {
      logits = model.forward({T <= block_size ? idx : idx.narrow(1, T - block_size, block_size)}).toTensor();
    }
    logits = logits.select(1, -1).to(torch::kFloat);  // [1, V]
    torch::Tensor next;
    if (temperature <= 0.0) {
      next = logits.argmax(-1, /*keepdim=*/true);
    } else {
      logits = logits / temperature;
      if (top_k > 0) {
        auto kth = std::get<0>(logits.topk(std::min(top_k, logits.size(-1)), -1)).select(-1, -1).unsqueeze(-1);
        logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
      }
      next = torch::multinomial(torch::softmax(logits, -1), 1, /*replacement=*/false, gen);
    }
    idx = torch::cat({idx, next}, 1);
  }
  std::string text;
  for (int64_t i = 0; i < idx.size(1); ++i) text += vocab.pieces.at(static_cast<size_t>(idx[0][i].item<int64_t>()));
  std::cout << text << "\n";
  return 0;
} catch (const std::exception& e) {
  const std::string what = e.what();
  std::cerr << "error: " << what.substr(0, what.find('\n')) << "\n";
  return 1;
}
