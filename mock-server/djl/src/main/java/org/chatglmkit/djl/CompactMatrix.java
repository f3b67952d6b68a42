package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A weight matrix held as int8 (a scale per block of {@link MatVec#BLOCK} weights along each row)
 * or fp16, {@code rows × cols} with one row per output, in a PyTorch tensor's native memory (so the
 * Java heap's limit does not bound the model) and read through a direct buffer over that memory. It
 * is filled from a checkpoint row block by row block: no second copy of the matrix exists at any
 * time. Products go through {@link MatVec} on all cores.
 *
 * <pre>{@code
 * CompactMatrix w = CompactMatrix.read(file, entry, WeightsKind.INT8, manager);
 * NDArray y = w.multiply(x); // x [n, cols] → y [n, rows], fp32
 * }</pre>
 */
final class CompactMatrix {
  /** Products below this many multiply-adds run on the calling thread alone. */
  private static final long PARALLEL_WORK = 1 << 18;

  private static final int PARTS = 2 * Runtime.getRuntime().availableProcessors();

  /** Activation rows from which a product widens weight blocks for PyTorch's matrix product. */
  static final int PREFILL_ROWS = 8;

  private final WeightsKind kind;
  private final int rows;
  private final int cols;
  private final ByteBuffer data;
  private final FloatBuffer scales;
  private final MatVec kernel;

  private CompactMatrix(
      WeightsKind kind, int rows, int cols, ByteBuffer data, FloatBuffer scales, MatVec kernel) {
    this.kind = kind;
    this.rows = rows;
    this.cols = cols;
    this.data = data;
    this.scales = scales;
    this.kernel = kernel;
  }

  /**
   * Reads a 2-D tensor into {@code kind} (int8 or fp16), in native memory that {@code manager}
   * owns.
   *
   * @throws IllegalArgumentException for an fp16 target and a weight beyond ±65504
   */
  static CompactMatrix read(
      SafeTensorsFile file, SafeTensorsFile.Entry entry, WeightsKind kind, NDManager manager)
      throws IOException {
    if (kind == WeightsKind.FP32 || entry.shape().length != 2) {
      throw new IllegalArgumentException("a compact matrix is 2-D, int8 or fp16");
    }
    int rows = Math.toIntExact(entry.rows());
    int cols = Math.toIntExact(entry.columns());
    long bytes = (long) rows * cols * kind.bytesPerParameter();
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          entry.name() + " takes " + bytes + " bytes as " + kind.label() + "; at most 2 GiB");
    }
    NDArray storage =
        manager.zeros(
            new Shape(rows, cols), kind == WeightsKind.INT8 ? DataType.INT8 : DataType.FLOAT16);
    ByteBuffer data = storage.toByteBuffer(true);
    if (!data.isDirect() || data.capacity() != bytes) {
      throw new IllegalStateException("the engine gave no direct view of a weight tensor");
    }
    data.order(ByteOrder.LITTLE_ENDIAN);
    int blocks = MatVec.blocks(cols);
    // The scales live in native memory too: on the Java heap, a 6B model's 0.4 GB of them made the
    // collector grow the heap to 1.4–2.1 GB while loading, and a prefill's garbage then filled it.
    FloatBuffer scales =
        kind == WeightsKind.INT8
            ? directView(manager.zeros(new Shape((long) rows * blocks), DataType.FLOAT32))
                .asFloatBuffer()
            : null;
    int block = Math.max(1, (1 << 20) / cols);
    float[] values = new float[block * cols];
    for (int first = 0; first < rows; first += block) {
      int count = Math.min(block, rows - first);
      file.readRows(entry, first, count, values);
      for (int r = 0; r < count; r++) {
        int row = first + r;
        if (kind == WeightsKind.INT8) {
          quantizeRow(values, r * cols, cols, data, row * cols, scales, row * blocks);
        } else {
          for (int c = 0; c < cols; c++) {
            float value = values[r * cols + c];
            if (!(Math.abs(value) <= Half.MAX)) {
              throw new IllegalArgumentException(
                  entry.name() + " holds " + value + ", which fp16 cannot hold; use int8 or fp32");
            }
            data.putShort(2 * (row * cols + c), Half.fromFloat(value));
          }
        }
      }
    }
    return new CompactMatrix(kind, rows, cols, data, scales, MatVec.best());
  }

  /**
   * Quantizes one row block by block ({@link MatVec#BLOCK} weights, the last block perhaps
   * shorter): per block, scale = max |w| / 127 and q = round(w / scale), the official {@code
   * quantize(8)}'s rule applied to each block rather than to the whole row, so one large weight
   * costs the precision of its block only. The scales go to {@code scales} from {@code scaleAt}.
   */
  static void quantizeRow(
      float[] values, int from, int cols, ByteBuffer out, int at, FloatBuffer scales, int scaleAt) {
    for (int b = 0; b < MatVec.blocks(cols); b++) {
      int start = b * MatVec.BLOCK;
      int end = Math.min(start + MatVec.BLOCK, cols);
      float max = 0;
      for (int c = start; c < end; c++) {
        float value = values[from + c];
        if (!Float.isFinite(value)) {
          throw new IllegalArgumentException("a weight is " + value);
        }
        max = Math.max(max, Math.abs(value));
      }
      float scale = max / 127;
      for (int c = start; c < end; c++) {
        out.put(at + c, scale == 0 ? 0 : (byte) Math.round(values[from + c] / scale));
      }
      scales.put(scaleAt + b, scale);
    }
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  /** Bytes held: the weights and, for int8, the scales. */
  long bytes() {
    return (long) rows * cols * kind.bytesPerParameter()
        + (scales == null ? 0 : 4L * scales.capacity());
  }

  /**
   * {@code x [n, cols]} times this matrix's transpose: {@code [n, rows]}, fp32, in x's manager. A
   * few rows (decode steps) go through {@link MatVec}, which reads each weight once; many rows (a
   * prefill) are compute-bound, so blocks of weights are widened to fp32 and multiplied by
   * PyTorch's matrix product instead (through the server on the 98M model: 565 against 137 prompt
   * tokens/s; on one full-size matrix and 128 rows, 0.88× against the kernel's 1.34× fp32's time:
   * bench/matvec.sh).
   */
  NDArray multiply(NDArray x, Scratch scratch) {
    int n = Math.toIntExact(x.getShape().get(0));
    if (n >= PREFILL_ROWS) {
      return multiplyByBlocks(x, scratch);
    }
    float[] in = scratch.input(n * cols);
    if (x.getDataType() == DataType.FLOAT32) {
      directView(x).asFloatBuffer().get(in, 0, n * cols);
    } else {
      System.arraycopy(x.toFloatArray(), 0, in, 0, n * cols);
    }
    float[] out = scratch.output(n * rows);
    multiply(in, n, out, scratch.quantized());
    return nativeArray(x.getManager(), out, new Shape(n, rows));
  }

  private NDArray multiplyByBlocks(NDArray x, Scratch scratch) {
    NDManager step = x.getManager();
    int block = Math.max(1, Math.min(rows, Scratch.VALUES / cols));
    NDList parts = new NDList();
    for (int first = 0; first < rows; first += block) {
      int count = Math.min(block, rows - first);
      int start = first;
      ByteBuffer view = scratch.view();
      // One lambda per kind: a call site that saw both kinds was compiled again without the Vector
      // API's intrinsics for a while, allocating a vector object per operation (0.3 GB a prefill).
      IntStream.range(0, count)
          .parallel()
          .forEach(
              kind == WeightsKind.INT8
                  ? r -> kernel.widenInt8(data, scales, start + r, cols, view, 4 * r * cols)
                  : r -> kernel.widenFp16(data, 2 * (start + r) * cols, cols, view, 4 * r * cols));
      // The product is computed before the next block overwrites the scratch tensor.
      try (NDManager temporary = step.newSubManager()) {
        NDArray weights = scratch.array().get("0:" + count * cols);
        weights.attach(temporary);
        NDArray part = x.matMul(weights.reshape(count, cols).transpose());
        part.attach(step);
        parts.add(part);
      }
    }
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1);
  }

  /**
   * What products reuse, one per model, used by the decoder thread only: the fp32 tensor the
   * prefill path widens weight blocks into (so a prefill allocates no weight-sized memory), and the
   * decode path's activations, their quantized form and its results (so a decode step allocates no
   * Java arrays: they grow to the largest product and stay).
   */
  static final class Scratch implements AutoCloseable {
    static final int VALUES = 1 << 20;

    private final NDArray array;
    private final ByteBuffer view;
    private final QuantizedRows quantized = new QuantizedRows();
    private float[] input = new float[0];
    private float[] output = new float[0];

    Scratch(NDManager manager) {
      this.array = manager.zeros(new Shape(VALUES), DataType.FLOAT32);
      this.view = directView(array);
    }

    NDArray array() {
      return array;
    }

    float[] input(int size) {
      if (input.length < size) {
        input = new float[size];
      }
      return input;
    }

    float[] output(int size) {
      if (output.length < size) {
        output = new float[size];
      }
      return output;
    }

    QuantizedRows quantized() {
      return quantized;
    }

    ByteBuffer view() {
      return view;
    }

    @Override
    public void close() {
      array.close();
    }
  }

  /** A direct, native-order view of an array's memory (contiguous arrays, as made here). */
  static ByteBuffer directView(NDArray array) {
    ByteBuffer view = array.toByteBuffer(true);
    if (!view.isDirect()) {
      throw new IllegalStateException("the engine gave no direct view of a tensor");
    }
    return view.order(ByteOrder.nativeOrder());
  }

  /**
   * An fp32 array of {@code values}, copied straight into the tensor's memory. ({@code
   * NDManager.create(float[])} stages the values in a direct buffer that is freed only when the
   * Java heap is next collected; a prefill makes hundreds of megabytes of them.)
   */
  static NDArray nativeArray(NDManager manager, float[] values, Shape shape) {
    NDArray array = manager.zeros(shape, DataType.FLOAT32);
    directView(array).asFloatBuffer().put(values, 0, (int) shape.size());
    return array;
  }

  /**
   * {@code out[s·rows + r] = Σ_c x[s·cols + c] · w[r, c]} for {@code s < n}, on all cores for a
   * large product; int8 quantizes {@code x} into {@code quantized} first.
   */
  void multiply(float[] x, int n, float[] out, QuantizedRows quantized) {
    QuantizedRows q = kind == WeightsKind.INT8 ? quantized.quantize(x, n, cols) : null;
    if ((long) n * rows * cols < PARALLEL_WORK) {
      run(x, q, n, out, 0, rows);
    } else {
      IntStream.range(0, PARTS)
          .parallel()
          .forEach(part -> run(x, q, n, out, part * rows / PARTS, (part + 1) * rows / PARTS));
    }
  }

  private void run(float[] x, QuantizedRows q, int n, float[] out, int from, int to) {
    if (kind == WeightsKind.INT8) {
      kernel.int8(data, scales, rows, cols, q, out, from, to);
    } else {
      kernel.fp16(data, rows, cols, x, n, out, from, to);
    }
  }

  /** Row {@code r} widened to native-order floats in {@code out} from byte {@code at}. */
  void row(int r, ByteBuffer out, int at) {
    if (kind == WeightsKind.INT8) {
      kernel.widenInt8(data, scales, r, cols, out, at);
    } else {
      kernel.widenFp16(data, 2 * r * cols, cols, out, at);
    }
  }
}
