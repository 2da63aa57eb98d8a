// The `attnlab` command line: train, resume, evaluate, generate, translate, export, compare
// variants, benchmark, prepare data.
// Every error goes to stderr with a non-zero exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "apps/flag_checks.h"
#include "core/util/allocator.h"
#include "datasets/preparable.h"
#include "trainers/data_check.h"
#include "trainers/recipes.h"

namespace {

// LibTorch appends a C++ backtrace to its messages; users need only the sentence.
// LibTorch's messages carry a C++ backtrace ("Exception raised from ...", or "frame #0: ..."
// after an enforce failure): the user sees the message only.
std::string clean_message(const std::string& what) {
  size_t cut = std::string::npos;
  for (const char* marker : {"\nException raised from", "Exception raised from", "\nframe #0"})
    cut = std::min(cut, what.find(marker));
  std::string msg = what.substr(0, cut);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

// `detail`: what the allocator was asked for, or "".
std::string out_of_memory(const std::string& detail) {
  return fmt::format("out of memory{}: the model, the batch or the data needs more than this process can take (lower "
                     "the model's sizes or trainer.batch_size)",
                     detail.empty() ? "" : " (" + detail + ")");
}

void add_train(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("train", "Train an experiment from a YAML config, or resume a run");
  auto args = std::make_shared<std::vector<std::string>>();
  auto resume = std::make_shared<std::string>();
  cmd->add_option("args", *args, "CONFIG followed by section.key=value overrides (only overrides with --resume)");
  cmd->add_option("--resume", *resume, "Continue the run in RUN_DIR from its last.pt")->type_name("RUN_DIR");
  cmd->footer(
      "Examples:\n  attnlab train configs/gpt/kjv_char.yaml\n"
      "  attnlab train configs/gpt/kjv_char.yaml trainer.max_iters=500 experiment.name=short\n"
      "  attnlab train --resume runs/kjv_char");
  cmd->callback([args, resume, &status] {
    attnlab::TrainRequest req;
    req.resume_dir = *resume;
    std::vector<std::string> rest = *args;
    if (req.resume_dir.empty()) {
      if (rest.empty()) throw CLI::ValidationError("train", "needs a CONFIG file (or --resume RUN_DIR)");
      req.config_path = rest.front();
      rest.erase(rest.begin());
    }
    for (const auto& o : rest)
      if (o.find('=') == std::string::npos)
        throw CLI::ValidationError("train", "'" + o + "' is not an override of the form section.key=value");
    req.overrides = rest;
    auto summary = attnlab::train(req);
    if (summary.signal != 0) {
      status = 128 + summary.signal;
      return;
    }
    if (summary.rank == 0)
      fmt::print("done: {} steps, best {} {:.4f}; evaluate with: attnlab eval {}\n", summary.step,
                 summary.best_metric, summary.best_value, summary.run_dir);
  });
}

// RUN_DIR, --checkpoint and --device: what every command that loads a trained run takes.
template <class Request>
void add_run_options(CLI::App* cmd, Request& req) {
  cmd->add_option("run_dir", req.run_dir, "Run directory written by `attnlab train`")->required();
  cmd->add_option("--checkpoint", req.checkpoint, "best or last")
      ->check(CLI::IsMember({"best", "last"}))
      ->capture_default_str();
  cmd->add_option("--device", req.device, "auto, cpu or cuda (default: the run's)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

void add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Sample text from a trained run");
  auto req = std::make_shared<attnlab::GenerateRequest>();
  add_run_options(cmd, *req);
  cmd->add_option("--prompt", req->prompt, "Text to continue")->capture_default_str();
  cmd->add_option("--max-new-tokens", req->max_new_tokens, "Tokens to generate (printed as they are drawn)")
      ->check(attnlab::cli::whole_number(0))
      ->capture_default_str();
  cmd->add_option("--temperature", req->temperature, "Sampling temperature; 0 = greedy")
      ->check(attnlab::cli::real_number(1e-3, 1e3, /*or_zero=*/true))
      ->capture_default_str();
  cmd->add_option("--top-k", req->top_k, "Sample among the k most likely tokens; 0 = all")
      ->check(attnlab::cli::whole_number(0))
      ->capture_default_str();
  cmd->add_option("--seed", req->seed, "Sampling seed")->check(attnlab::cli::whole_number(0))->capture_default_str();
  cmd->add_flag("--no-kv-cache{false}", req->kv_cache, "Recompute the whole context for every new token (to compare)");
  cmd->callback([req] {
    req->on_text = [](const std::string& piece) {  // stream: each token as it is drawn
      // A reader that went away (`| head`) ends the run even where SIGPIPE is ignored, as a
      // parent may have set it for its children: a write error is not a reason to go on.
      if (std::fwrite(piece.data(), 1, piece.size(), stdout) != piece.size() || std::fflush(stdout) != 0)
        throw std::runtime_error("cannot write to stdout (" + std::string(std::strerror(errno)) +
                                 "): generation stopped");
    };
    attnlab::generate(*req);
    std::fputs("\n", stdout);
  });
}

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a run's checkpoint on every example of a split");
  auto req = std::make_shared<attnlab::EvalRequest>();
  add_run_options(cmd, *req);
  cmd->add_option("data_overrides", req->data_overrides,
                  "data.KEY=VALUE: where the run's data is now, for a moved or copied run (it must be the data the "
                  "run trained on)");
  cmd->add_option("--split", req->split, "val, test (where the data has one) or train")->capture_default_str();
  cmd->add_option("--batch-size", req->batch_size, "Examples per batch (default: the run's trainer.batch_size)")
      ->check(attnlab::cli::whole_number(1, 1 << 20));
  cmd->add_option("--beam", req->beam, "Translators: beam size, 1 = greedy (default: the run's model.beam)")
      ->check(attnlab::cli::whole_number(1, 1000));
  cmd->add_option("--attention-maps", req->attention_maps,
                  "Image models: draw the first N examples with their attention maps into RUN_DIR/attention_SPLIT.png")
      ->check(attnlab::cli::whole_number(1, 10000));
  cmd->add_option("--episodes", req->episodes, "Runs evaluated by rollout: episodes per target (default: model.eval_episodes)")
      ->check(attnlab::cli::whole_number(1, 100000));
  cmd->add_option("--rollout-seed", req->rollout_seed,
                  "Runs evaluated by rollout (or by sampling): seed of the episodes' starts (of the samples' noise) "
                  "(default: model.eval_seed, the episodes "
                  "the best checkpoint was chosen on)")
      ->check(attnlab::cli::whole_number(0, 1 << 30));
  cmd->add_option("--baseline", req->baselines,
                  "Another run, evaluated on the same split, whose curve is drawn beside this run's (repeatable)");
  cmd->add_option("--judge", req->judge,
                  "Image generators: the image classifier's run that scores the samples (default: model.judge)");
  cmd->add_option("--samples", req->samples, "Image generators: images sampled and judged (default: model.eval_samples)")
      ->check(attnlab::cli::whole_number(1, 1000000));
  cmd->add_option("--sample-steps", req->sample_steps, "Image generators: their DDIM steps (default: model.eval_steps)")
      ->check(attnlab::cli::whole_number(1, 100000));
  cmd->add_option("--guidance", req->guidance,
                  "Image generators: their classifier-free guidance scale, 1 = none (default: model.eval_guidance). "
                  "Each sampling flag given names the file: eval_SPLIT_samplesN_stepsS_guidanceG.json")
      ->check(attnlab::cli::real_number(0, 100, /*or_zero=*/true));
  cmd->footer(
      "Writes RUN_DIR/eval_SPLIT.json (eval_SPLIT_last.json with --checkpoint last, eval_SPLIT_beamN.json with\n"
      "--beam; translators also write the sources, outputs and references beside it as .src.txt, .out.txt and\n"
      ".ref.txt). Examples:\n  attnlab eval runs/kjv_books_finetune --split test\n"
      "  attnlab eval runs/bible_en_es --split test --beam 5\n  attnlab eval runs/vit_fashion_mnist --split test --attention-maps 16\n"
      "  attnlab eval runs/cartpole_dt --baseline runs/cartpole_bc --baseline runs/cartpole_filtered_bc\n"
      "  attnlab eval runs/dit_fashion_mnist --split test --samples 1000 --sample-steps 50 --guidance 4\n"
      "  attnlab eval copied/kjv_char data.path=/data/kjv.txt   # a run whose data has moved");
  cmd->callback([req] {
    auto report = attnlab::evaluate_run(*req);
    fmt::print("{}wrote {}\n", report.text, report.json_path);
  });
}

void add_sample(CLI::App& app) {
  auto* cmd = app.add_subcommand("sample", "Draw images from a trained image generator (model.type dit)");
  auto req = std::make_shared<attnlab::SampleRequest>();
  add_run_options(cmd, *req);
  cmd->add_option("--class", req->class_name, "A class name, or all (one row per class)")->capture_default_str();
  cmd->add_option("--n", req->n, "Images per class")->check(attnlab::cli::whole_number(1, 100000))->capture_default_str();
  cmd->add_option("--steps", req->steps, "Denoising steps")->check(attnlab::cli::whole_number(1, 100000))->capture_default_str();
  cmd->add_option("--eta", req->eta, "0 = DDIM (deterministic), 1 = DDPM's noise")
      ->check(attnlab::cli::real_number(0, 1, /*or_zero=*/true))
      ->capture_default_str();
  cmd->add_option("--guidance", req->guidance, "Classifier-free guidance scale; 1 = none, 0 = the unconditional model")
      ->check(attnlab::cli::real_number(0, 100, /*or_zero=*/true))
      ->capture_default_str();
  cmd->add_option("--seed", req->seed, "Seed of the starting noise")->check(attnlab::cli::whole_number(0))->capture_default_str();
  cmd->add_option("--precision", req->precision, "fp32 or bf16 (default: the run's experiment.precision)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  cmd->add_option("--out", req->out,
                  "The PNG grid (default: RUN_DIR/samples[_CLASS]_guidanceG[_nN][_stepsS][_etaE][_seedS][_PRECISION][_last].png: "
                  "the guidance, and each option that differs from its default; the precision when it is not the run's)");
  cmd->add_option("--idx", req->idx_dir,
                  "Also write the samples as IDX files (train- and t10k- pairs) into this directory, for data.dir");
  cmd->footer("Examples:\n  attnlab sample runs/dit_fashion_mnist --class all --n 10 --guidance 4\n"
              "  attnlab sample runs/dit_fashion_mnist --class Sneaker --n 16 --steps 1000 --eta 1   # DDPM");
  cmd->callback([req] { fmt::print("{}", attnlab::sample_images(*req).text); });
}

void add_translate(CLI::App& app) {
  auto* cmd = app.add_subcommand("translate", "Translate sentences (one per line) with a translator run");
  auto req = std::make_shared<attnlab::TranslateRequest>();
  add_run_options(cmd, *req);
  cmd->add_option("--input", req->input, "File of sentences, one per line; - = standard input")->capture_default_str();
  cmd->add_option("--beam", req->beam, "Beam size, 1 = greedy (default: the run's model.beam)")
      ->check(attnlab::cli::whole_number(1, 1000));
  cmd->add_option("--batch-size", req->batch_size, "Sentences decoded together")
      ->check(attnlab::cli::whole_number(1, 1 << 20))
      ->capture_default_str();
  cmd->add_flag("--no-kv-cache{false}", req->kv_cache, "Decode the whole output prefix at every step (to compare)");
  cmd->footer("Example:\n  echo 'In the beginning God created the heaven and the earth.' | attnlab translate runs/bible_en_es --beam 5");
  cmd->callback([req] {
    for (const auto& line : attnlab::translate(*req)) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputs("\n", stdout);
    }
  });
}

void add_export(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("export", "Write a run's model as TorchScript (Python torch.jit.load, C++ torch::jit::load)");
  auto req = std::make_shared<attnlab::ExportRequest>();
  cmd->add_option("run_dir", req->run_dir, "Run directory written by `attnlab train`")->required();
  cmd->add_option("--checkpoint", req->checkpoint, "best or last")
      ->check(CLI::IsMember({"best", "last"}))
      ->capture_default_str();
  cmd->add_option("--out", req->out, "Output file (default: RUN_DIR/torchscript.pt)");
  cmd->footer(
      "The file holds the model's methods (see its attnlab.json) and, as extra files, attnlab.json, config.json\n"
      "and the tokenizer (tokenizer.json, tokenizer.model). It is reloaded and compared with the model at several\n"
      "shapes before it is kept. Examples:\n  attnlab export runs/kjv_char\n"
      "  attnlab export runs/bible_en_es --out bible_en_es.pt\n  python3 examples/python/generate.py runs/kjv_char/torchscript.pt");
  cmd->callback([req, &status] {
    auto summary = attnlab::export_run(*req, [](const std::string& stage) { fmt::print("  {}\n", stage); });
    fmt::print("{}", summary.text);
    if (!summary.passed) status = 1;
  });
}

void add_compare(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("compare", "Run a sweep of architecture variants and seeds, then report which is better");
  auto req = std::make_shared<attnlab::CompareRequest>();
  cmd->add_option("sweep", req->sweep_path, "Sweep file (configs/sweeps/*.yaml)");
  cmd->add_option("--report", req->report_dir, "Rebuild the table and plots of a sweep's OUT directory, without training")
      ->type_name("OUT");
  cmd->add_flag("--dry-run", req->dry_run, "Validate the sweep and list its runs; train nothing");
  cmd->add_flag("--retrain-changed", req->retrain_changed,
                "Delete and retrain runs trained earlier with another config than the sweep now gives them");
  cmd->footer(
      "Runs every variant x seed into OUT/<variant>/seed<k>/ (finished runs are skipped, interrupted ones resumed),\n"
      "then writes OUT/results.md, results.csv, results.json, curves_{step,time}.{png,svg} and index.html. Examples:\n"
      "  attnlab compare configs/sweeps/gpt_kjv_blocks.yaml\n  attnlab compare --report runs/sweeps/gpt_kjv_blocks");
  cmd->callback([req, &status] {
    if (req->sweep_path.empty() == req->report_dir.empty())
      throw CLI::ValidationError("compare", "give a SWEEP file or --report OUT (one of them)");
    const auto summary = attnlab::compare(*req);
    if (req->dry_run) {
      for (const auto& line : summary.planned) fmt::print("{}\n", line);
      fmt::print("{} runs; metric and every variant's config are valid\n", summary.planned.size());
      return;
    }
    if (summary.signal != 0) {
      fmt::print(stderr, "sweep stopped; run the same command again to continue\n");
      status = 128 + summary.signal;
      return;
    }
    fmt::print("\n{}\n{} runs trained, {} resumed, {} skipped; report: {}/index.html\n", summary.markdown, summary.trained,
               summary.resumed, summary.skipped, summary.out_dir);
  });
}

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Time an experiment's training step, evaluation and decoding on this machine");
  auto args = std::make_shared<std::vector<std::string>>();
  auto req = std::make_shared<attnlab::BenchRequest>();
  cmd->add_option("args", *args, "CONFIG followed by section.key=value overrides")->required();
  cmd->add_option("--steps", req->steps, "Timed training steps")->check(attnlab::cli::whole_number(1))->capture_default_str();
  cmd->add_option("--warmup", req->warmup, "Training steps before timing")->check(attnlab::cli::whole_number(0))->capture_default_str();
  cmd->add_option("--eval-batches", req->eval_batches, "Timed evaluation batches")
      ->check(attnlab::cli::whole_number(0))
      ->capture_default_str();
  cmd->add_option("--new-tokens", req->new_tokens, "Language models: tokens generated per decoding run")
      ->check(attnlab::cli::whole_number(0))
      ->capture_default_str();
  cmd->add_option("--profile", req->profile, "Also list the top N operators by self time")->check(attnlab::cli::whole_number(0));
  cmd->add_flag("--profile-callers", req->profile_callers, "With --profile: one row per calling operator > operator");
  cmd->add_option("--out", req->out, "JSON report (default: OUT_DIR/bench/NAME.json)");
  auto lengths = std::make_shared<attnlab::SeqLengthBenchRequest>();
  cmd->add_option("--seq-lengths", lengths->lengths,
                  "Instead: forward + backward time, memory and FLOPs at each sequence length (rising, comma-separated), "
                  "with log-log slopes and a plot")
      ->delimiter(',');
  cmd->add_option("--variant", lengths->variants,
                  "With --seq-lengths: \"NAME section.key=value ...\", repeatable (default: the config alone)");
  cmd->add_option("--max-seconds", lengths->max_seconds,
                  "With --seq-lengths: a variant stops after a step slower than this")
      ->capture_default_str();
  auto point = std::make_shared<bool>(false);
  cmd->add_flag("--point", *point, "One --seq-lengths point in this process (what each child runs)")->group("");
  cmd->footer(
      "Examples (docs/bench.md):\n  attnlab bench configs/gpt/kjv_char.yaml\n"
      "  attnlab bench configs/gpt/kjv_char.yaml experiment.precision=bf16 --profile 15\n"
      "  attnlab bench configs/gpt/kjv_char.yaml --seq-lengths 256,512,1024,2048 --variant full \\\n"
      "      --variant \"window64 model.attention_window=64 model.pos_encoding=rope\"");
  cmd->callback([cmd, args, req, lengths, point] {
    req->config_path = args->front();
    for (size_t i = 1; i < args->size(); ++i) {
      const std::string& o = (*args)[i];
      if (o.find('=') == std::string::npos)
        throw CLI::ValidationError("bench", "'" + o + "' is not an override of the form section.key=value");
      req->overrides.push_back(o);
    }
    if (*point) {
      attnlab::bench_seq_length_point(req->config_path, req->overrides, req->warmup, req->steps, req->out);
      return;
    }
    if (!lengths->lengths.empty()) {
      lengths->config_path = req->config_path, lengths->overrides = req->overrides, lengths->out_dir = req->out;
      if (cmd->count("--warmup")) lengths->warmup = req->warmup;
      if (cmd->count("--steps")) lengths->steps = req->steps;
      const auto report = attnlab::bench_seq_lengths(*lengths);
      fmt::print("{}wrote {}\n", report.text, report.json_path);
      return;
    }
    if (!lengths->variants.empty()) throw CLI::ValidationError("bench", "--variant needs --seq-lengths");
    const auto report = attnlab::bench(*req);
    fmt::print("{}wrote {}\n", report.text, report.json_path);
  });
}

void add_data(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Prepare datasets from installed packages, or check a config's data");
  data->require_subcommand(1);
  auto* prepare = data->add_subcommand(
      "prepare", "Write a dataset to data/NAME/ (a corpus: one verse or verse pair per line; an environment: trajectories)");
  auto name = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  std::string names;
  for (const auto& d : attnlab::preparable_data()) names += "\n  " + d.name + ": " + d.description;
  prepare->add_option("name", *name, "Dataset to prepare")->required();
  prepare->add_option("--out", *out, "Output directory (default: data/NAME)");
  prepare->footer("Datasets:" + names);
  prepare->callback([name, out] {
    const auto data = attnlab::find_preparable(*name);
    fmt::print("{}\n", data.prepare(out->empty() ? "data/" + data.name : *out));
  });
  auto* check = data->add_subcommand(
      "check", "Print what an experiment's data section reads (documents, images or pairs, classes, tokens, splits, "
               "what is left out and why) without training or writing anything");
  auto req = std::make_shared<attnlab::DataCheckRequest>();
  check->add_option("config", req->config_path, "Experiment YAML")->required();
  check->add_option("overrides", req->overrides, "section.key=value ...");
  check->callback([req] { fmt::print("{}", attnlab::check_data(*req)); });
}

}  // namespace

int main(int argc, char** argv) {
  attnlab::reexec_with_huge_pages(argv);  // first: nothing done yet that the new image would lose
  attnlab::tune_malloc_for_tensors();
  attnlab::limit_onednn_primitive_cache();
  CLI::App app{"attnlab: transformer research on LibTorch (GPT, BERT, seq2seq, ViT from shared blocks)"};
  app.require_subcommand(1);
  int status = 0;
  add_train(app, status);
  add_generate(app);
  add_eval(app);
  add_sample(app);
  add_translate(app);
  add_export(app, status);
  add_compare(app, status);
  add_bench(app);
  add_data(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // --help prints to stdout and returns 0; usage errors go to stderr
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    fmt::print(stderr, "error: {}\n", out_of_memory(""));
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    const std::string msg = clean_message(e.what());
    // LibTorch's allocator failure, worded as std::bad_alloc is, with its size.
    if (msg.find("can't allocate memory") != std::string::npos) {
      const auto tried = msg.find("you tried to allocate");
      fmt::print(stderr, "error: {}\n",
                 out_of_memory(tried == std::string::npos ? "" : msg.substr(tried, msg.find('.', tried) - tried)));
      return 1;
    }
    fmt::print(stderr, "error: {}\n", msg);
    return 1;
  }
  return status;
}
