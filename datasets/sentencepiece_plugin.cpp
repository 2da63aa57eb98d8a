// libattnlab_sentencepiece.so: SentencePiece behind SentencePieceApi (see sentencepiece_api.h).
// The only translation unit that includes SentencePiece's headers.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include "datasets/sentencepiece_api.h"

namespace {

using sentencepiece::SentencePieceProcessor;

void check(const sentencepiece::util::Status& status, const char* what) {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.ToString());
}

// Feeds the training texts from memory: no temporary file.
class TextIterator : public sentencepiece::SentenceIterator {
 public:
  explicit TextIterator(const std::vector<std::string>& texts) : texts_(texts) {}
  bool done() const override { return i_ >= texts_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return texts_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& texts_;
  size_t i_ = 0;
};

// The trainer logs its whole command line to stderr before it reads --minloglevel; errors come
// back through its Status, so stderr is silenced while it runs.
class QuietStderr {
 public:
  QuietStderr() : saved_(dup(2)) {
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2), close(null);
  }
  ~QuietStderr() {
    if (saved_ >= 0) dup2(saved_, 2), close(saved_);
  }

 private:
  int saved_;
};

std::string train(const std::unordered_map<std::string, std::string>& flags, const std::vector<std::string>& texts,
                  uint64_t seed) {
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned int>(seed));
  TextIterator it(texts);
  std::string model;
  sentencepiece::util::Status status;
  {
    QuietStderr quiet;
    status = sentencepiece::SentencePieceTrainer::Train(flags, &it, &model);
  }
  check(status, "training the sentencepiece tokenizer failed");
  return model;
}

void* load(const std::string& serialized) {
  auto* p = new SentencePieceProcessor();
  const auto status = p->LoadFromSerializedProto(serialized);
  if (!status.ok()) {
    delete p;
    check(status, "not a sentencepiece model");
  }
  return p;
}

void destroy(void* p) { delete static_cast<SentencePieceProcessor*>(p); }

std::vector<int> encode(void* p, const std::string& text) {
  std::vector<int> ids;
  check(static_cast<SentencePieceProcessor*>(p)->Encode(text, &ids), "sentencepiece encode failed");
  return ids;
}

std::string decode(void* p, const std::vector<int>& ids) {
  std::string out;
  check(static_cast<SentencePieceProcessor*>(p)->Decode(ids, &out), "sentencepiece decode failed");
  return out;
}

int size(void* p) { return static_cast<SentencePieceProcessor*>(p)->GetPieceSize(); }

std::string piece(void* p, int id) { return static_cast<SentencePieceProcessor*>(p)->IdToPiece(id); }

bool is_byte(void* p, int id) { return static_cast<SentencePieceProcessor*>(p)->IsByte(id); }

const attnlab::SentencePieceApi api = {train, load, destroy, encode, decode, size, piece, is_byte};

}  // namespace

extern "C" const attnlab::SentencePieceApi* attnlab_sentencepiece_api() { return &api; }
