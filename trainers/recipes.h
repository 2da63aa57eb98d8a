// The two things people do with attnlab from the command line, as plain functions:
// train an experiment (or resume a run) and sample from a trained run.
// This header is LibTorch-free so that the CLI compiles fast.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace attnlab {

struct TrainRequest {
  std::string config_path;             // an experiment YAML file, or
  std::string resume_dir;              // a run directory to continue from its last.pt
  std::vector<std::string> overrides;  // "section.key=value"
};

struct TrainSummary {
  std::string run_dir;
  int64_t step = 0;
  std::string best_metric;  // trainer.best_metric, e.g. "val_loss"
  double best_value = 0;
  int signal = 0;  // non-zero when SIGINT/SIGTERM stopped the run (after saving last.pt)
  int rank = 0;    // this process's rank in a multi-process run (0 prints the summary)
};

// Reads and validates the config, prepares data, builds the model and trains; under
// torchrun or srun, as one of several processes (docs/distributed.md).
TrainSummary train(const TrainRequest& request);

struct GenerateRequest {
  std::string run_dir;
  std::string checkpoint = "best";  // "best" (falls back to "last") or "last"
  std::string prompt = "\n";
  int64_t max_new_tokens = 500;
  double temperature = 0.8;  // <= 0: greedy
  int64_t top_k = 200;       // <= 0: no top-k filter
  uint64_t seed = 1337;
  std::string device = "";  // "" = the run's experiment.device
  bool kv_cache = true;     // false: recompute the whole context for every token (to compare)
  // If given, receives the text as it is produced: the prompt, then each token's text.
  std::function<void(const std::string&)> on_text;
};

// The prompt followed by max_new_tokens sampled tokens.
std::string generate(const GenerateRequest& request);

struct EvalRequest {
  std::string run_dir;
  std::string split = "val";
  std::string checkpoint = "best";  // "best" (falls back to "last") or "last"
  std::string device = "";          // "" = the run's experiment.device
  int64_t batch_size = 0;           // 0 = the run's trainer.batch_size
  int64_t beam = 0;                 // translators: beam size (1 = greedy); 0 = the run's model.beam
  int64_t attention_maps = 0;       // image models: a picture of the first N examples' attention maps
  // Models evaluated by rollout: episodes per target (0 = the run's model.eval_episodes) and the
  // seed of their starts (-1 = the run's model.eval_seed; another seed gives episodes that no
  // checkpoint was chosen on, written to eval_SPLIT_seedS.json).
  int64_t episodes = 0;
  int64_t rollout_seed = -1;
  // Runs whose own `attnlab eval` of the same split drew curves: the first line of each (its
  // model's) is drawn beside this run's, named by the run's directory; a baseline evaluated at
  // one x (behaviour cloning, which reads no target) is drawn flat.
  std::vector<std::string> baselines = {};
  // Image generators: the judge run (an image classifier; "" = the run's model.judge), and the
  // samples it scores: how many (0 = model.eval_samples), their DDIM steps (0 = model.eval_steps)
  // and guidance (-1 = model.eval_guidance; another value writes eval_SPLIT_guidanceG.json).
  std::string judge = "";
  int64_t samples = 0, sample_steps = 0;
  double guidance = -1;
  // data.KEY=VALUE overrides: where the run's data is now (a moved or copied run). Only data
  // keys; the run's data.json still refuses data other than it trained on.
  std::vector<std::string> data_overrides = {};
};

struct EvalReport {
  std::string json_path;  // RUN_DIR/eval_<split>[_beam<N>].json
  std::string picture_path;  // RUN_DIR/attention_<split>.png with attention_maps > 0
  std::string text;       // what `attnlab eval` prints
};

// Evaluates a run's checkpoint on every example of a split: the loss, the task's metrics and,
// for classification, the confusion matrix, macro-F1 and the majority-class floor; for
// translation, corpus BLEU and chrF of the decoded split, whose sources, outputs and references
// are written beside the JSON (one line each, in the same order) for any other scorer.
// Writes them as JSON into the run directory. With attention_maps > 0 (image models only),
// also draws the first N examples of the split with their attention maps and labels as a PNG.
EvalReport evaluate_run(const EvalRequest& request);

struct SampleRequest {
  std::string run_dir;
  std::string checkpoint = "best";  // "best" (falls back to "last") or "last"
  std::string device = "";          // "" = the run's experiment.device
  std::string class_name = "all";   // a class name, or "all": one row per class
  int64_t n = 8;                    // images per class
  int64_t steps = 50;               // denoising steps
  double eta = 0;                   // 0 = DDIM; 1 = DDPM's noise (with steps = diffusion_steps, DDPM itself)
  double guidance = 4;              // classifier-free guidance scale; 1 = none
  uint64_t seed = 0;                // the starting noise
  std::string precision = "";       // "" = the run's experiment.precision; fp32 draws what sample_dit.py draws
  std::string out;                  // the PNG; "" = RUN_DIR/samples[_CLASS]_guidanceG[_nN]...[_last].png, named
                                    // by every request that differs from these defaults
  std::string idx_dir;              // also write the samples as IDX files there ("" = no)
};

struct SampleReport {
  std::string png_path;
  double seconds = 0, images_per_second = 0;  // sampling only (not loading)
  std::string text;  // what `attnlab sample` prints
};

// `attnlab sample`: a generator run's samples, one row per class, as a PNG grid (and IDX files).
// A run that does not generate images, or an unknown class, is refused.
SampleReport sample_images(const SampleRequest& request);

struct TranslateRequest {
  std::string run_dir;
  std::string checkpoint = "best";  // "best" (falls back to "last") or "last"
  std::string device = "";          // "" = the run's experiment.device
  std::string input = "-";          // a file of sentences, one per line; "-" = standard input
  int64_t beam = 0;                 // 0 = the run's model.beam; 1 = greedy
  int64_t batch_size = 32;          // sentences decoded together
  bool kv_cache = true;             // false: decode without the key/value cache (to compare)
};

// Translates each input line with a translator run (its own tokenizer and checkpoint) and
// returns the outputs in input order. An empty line gives an empty line; a line longer than
// the model's max_len is truncated with a warning on stderr; a run that is not a translator
// is refused.
std::vector<std::string> translate(const TranslateRequest& request);

struct ExportRequest {
  std::string run_dir;
  std::string checkpoint = "best";  // "best" (falls back to "last") or "last"
  std::string out;                  // "" = RUN_DIR/torchscript.pt
};

struct ExportSummary {
  std::string path;
  bool passed = false;
  std::string text;  // what `attnlab export` prints: the checks, the counts, the verdict
};

// Writes a run's model (on the CPU) as a TorchScript file that runs without attnlab, with the
// run's resolved config, its tokenizer and a description of the methods inside (extra files
// attnlab.json, config.json, tokenizer.json and the tokenizer's own files, e.g.
// tokenizer.model). The file is reloaded and compared with the model at several shapes;
// a file that differs by more than 1e-5 or holds baked-in tensors is refused and removed.
// `on_stage` hears each step ("traced", "written", "checked").
ExportSummary export_run(const ExportRequest& request,
                         const std::function<void(const std::string&)>& on_stage = {});

struct CompareRequest {
  std::string sweep_path;  // a sweep file (configs/sweeps/*.yaml): run it, then report; or
  std::string report_dir;  // a sweep's OUT directory: rebuild the report from its runs, no training
  bool dry_run = false;    // with sweep_path: validate and list the runs, train nothing
  bool retrain_changed = false;  // delete and retrain runs whose config the sweep has changed since
};

struct CompareSummary {
  std::string out_dir;
  int64_t trained = 0, resumed = 0, skipped = 0;  // runs started, continued, already finished
  int signal = 0;             // SIGINT/SIGTERM stopped the sweep (the run in progress saved last.pt)
  std::vector<std::string> planned;  // dry run: "variant seed k -> run_dir (state)", one per run
  std::string markdown;       // OUT/results.md
  std::vector<std::string> written;
};

// `attnlab compare`: validates every variant of the sweep before training anything, runs each
// variant x seed into OUT/<variant>/seed<k>/ one after another (skipping finished runs and
// resuming interrupted ones), then writes the report (trainers/sweep_report.h).
CompareSummary compare(const CompareRequest& request);

struct BenchRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // "section.key=value"
  int64_t warmup = 5;                  // training steps before timing
  int64_t steps = 20;                  // timed training steps
  int64_t eval_batches = 5;            // timed evaluation batches
  int64_t new_tokens = 500;            // language models: tokens generated per decoding run
  int64_t profile = 0;                 // > 0: also print the top N operators by self time
  bool profile_callers = false;        // ...keyed by "calling operator > operator"
  std::string out;                     // JSON report; "" = OUT_DIR/bench/NAME.json
};

struct BenchReport {
  std::string json_path;
  std::string text;  // what `attnlab bench` prints
};

// `attnlab bench`: times an experiment's training step (and its phases), evaluation, data
// loading and decoding, counts its FLOPs, measures the machine's matrix-multiply rate at the
// model's shapes, and writes the figures as JSON (docs/bench.md). Trains nothing to disk.
BenchReport bench(const BenchRequest& request);

// `attnlab bench CONFIG --seq-lengths 256,512,...`: a training step's forward + backward time,
// its memory (peak RSS over the set-up's) and its FLOPs against the sequence length n (the
// family's ModelSpec::length_key), for the config and each variant, one child process a point.
// Writes OUT_DIR/bench/NAME_seq_lengths/: seq_lengths.json (points and fitted log-log slopes),
// one VARIANT.dat each, seq_lengths.gp and its picture seq_lengths.png.
struct SeqLengthBenchRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // "section.key=value", for every variant
  std::vector<int64_t> lengths;        // rising
  std::vector<std::string> variants;   // "NAME section.key=value ..."; none: the config, as "config"
  int64_t warmup = 1, steps = 3;       // per point
  double max_seconds = 60;             // a variant stops after its first step slower than this
  std::string out_dir;                 // "" = OUT_DIR/bench/NAME_seq_lengths
};
BenchReport bench_seq_lengths(const SeqLengthBenchRequest& request);

// One point of bench_seq_lengths, measured in this process: its JSON written to `out`.
void bench_seq_length_point(const std::string& config_path, const std::vector<std::string>& overrides, int64_t warmup,
                            int64_t steps, const std::string& out);

}  // namespace attnlab
