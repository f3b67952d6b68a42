package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The keys and values of one sequence so far, per layer; closing it frees them. */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int length;

  public KvCache(NDManager parent, int layers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  /** Positions already cached. */
  public int length() {
    return length;
  }

  /** Appends {@code k} and {@code v} ([tokens, groups, kv]) for a layer; returns the whole keys. */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray newKeys = keys[layer] == null ? k : keys[layer].concat(k, 0);
    NDArray newValues = values[layer] == null ? v : values[layer].concat(v, 0);
    newKeys.attach(manager);
    newValues.attach(manager);
    if (keys[layer] != null) {
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = newKeys;
    values[layer] = newValues;
    return new NDArray[] {newKeys, newValues};
  }

  void advance(int tokens) {
    length += tokens;
  }

  @Override
  public void close() {
    manager.close();
  }
}
