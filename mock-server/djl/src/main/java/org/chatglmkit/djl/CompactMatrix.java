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
import java.util.stream.IntStream;

/**
 * A weight matrix held as int8 (a scale per block of {@link MatVec#BLOCK} weights along each row)
 * or fp16, {@code rows × cols} with one row per output, in Java arrays: the kernels load from an
 * array half again as fast as from native memory ({@code bench/matvec.sh}), so the Java heap holds
 * the model ({@link ChatGlmWeights#load} checks first that it has room; a 6B model in int8 wants
 * {@code -Xmx8g}). It is filled from a checkpoint row block by row block: no second copy of the
 * matrix exists at any time. Products go through {@link MatVec} on all cores.
 *
 * <pre>{@code
 * CompactMatrix w = CompactMatrix.read(file, entry, WeightsKind.INT8);
 * NDArray y = w.multiply(x); // x [n, cols] → y [n, rows], fp32
 * }</pre>
 */
final class CompactMatrix {
  /** Products below this many multiply-adds run on the calling thread alone. */
  private static final long PARALLEL_WORK = 1 << 18;

  private static final int PARTS = 2 * Runtime.getRuntime().availableProcessors();

  /**
   * Activation rows from which a product widens blocks of weights to fp32 for PyTorch's matrix
   * product ({@link #multiplyByBlocks}) rather than taking them through {@link MatVec}. Below that
   * (decode steps, short prompts) the kernels, which read each weight once for all the rows and
   * widen it in registers or in a small tile, are faster than writing the widened block out for the
   * engine and reading it back; from 48 rows the engine's product is ({@code bench/matvec.sh}, its
   * "prefill" table).
   */
  static final int WIDENED_FROM = 48;

  /** The most weights a matrix holds: one Java array's. */
  static final long MAX_WEIGHTS = Integer.MAX_VALUE - 8;

  private final WeightsKind kind;
  private final int rows;
  private final int cols;

  /** The int8 weights, or {@code null} for fp16. */
  private final byte[] bytes;

  /** The fp16 weights, or {@code null} for int8. */
  private final short[] halves;

  private final float[] scales;
  private final MatVec kernel;

  private CompactMatrix(
      WeightsKind kind,
      int rows,
      int cols,
      byte[] bytes,
      short[] halves,
      float[] scales,
      MatVec kernel) {
    this.kind = kind;
    this.rows = rows;
    this.cols = cols;
    this.bytes = bytes;
    this.halves = halves;
    this.scales = scales;
    this.kernel = kernel;
  }

  /** Bytes a {@code rows × cols} matrix takes as {@code kind}: its weights and int8's scales. */
  static long bytes(WeightsKind kind, long rows, long cols) {
    return rows * cols * kind.bytesPerParameter()
        + (kind == WeightsKind.INT8 ? 4 * rows * MatVec.blocks(Math.toIntExact(cols)) : 0);
  }

  /**
   * Reads a 2-D tensor into {@code kind} (int8 or fp16).
   *
   * @throws IllegalArgumentException for an fp16 target and a weight beyond ±65504
   */
  static CompactMatrix read(SafeTensorsFile file, SafeTensorsFile.Entry entry, WeightsKind kind)
      throws IOException {
    if (kind == WeightsKind.FP32 || entry.shape().length != 2) {
      throw new IllegalArgumentException("a compact matrix is 2-D, int8 or fp16");
    }
    int rows = Math.toIntExact(entry.rows());
    int cols = Math.toIntExact(entry.columns());
    long weights = (long) rows * cols;
    if (weights > MAX_WEIGHTS) {
      throw new IllegalArgumentException(
          entry.name() + " holds " + weights + " weights; a compact matrix holds at most 2^31 − 9");
    }
    byte[] bytes = kind == WeightsKind.INT8 ? new byte[rows * cols] : null;
    short[] halves = kind == WeightsKind.FP16 ? new short[rows * cols] : null;
    float[] scales = kind == WeightsKind.INT8 ? new float[rows * MatVec.blocks(cols)] : null;
    int block = Math.max(1, (1 << 20) / cols);
    float[] values = new float[block * cols];
    for (int first = 0; first < rows; first += block) {
      int count = Math.min(block, rows - first);
      file.readRows(entry, first, count, values);
      for (int r = 0; r < count; r++) {
        convertRow(kind, values, r, first + r, cols, bytes, halves, scales, entry.name());
      }
    }
    return new CompactMatrix(kind, rows, cols, bytes, halves, scales, MatVec.best());
  }

  /**
   * A {@code rows × cols} matrix of {@code weights} (row-major) as {@code kind}, for tests and
   * benchmarks.
   */
  static CompactMatrix of(WeightsKind kind, int rows, int cols, float[] weights) {
    byte[] bytes = kind == WeightsKind.INT8 ? new byte[rows * cols] : null;
    short[] halves = kind == WeightsKind.FP16 ? new short[rows * cols] : null;
    float[] scales = kind == WeightsKind.INT8 ? new float[rows * MatVec.blocks(cols)] : null;
    for (int r = 0; r < rows; r++) {
      convertRow(kind, weights, r, r, cols, bytes, halves, scales, "the matrix");
    }
    return new CompactMatrix(kind, rows, cols, bytes, halves, scales, MatVec.best());
  }

  /** Row {@code r} of {@code values} into row {@code row} of the int8 or fp16 arrays. */
  private static void convertRow(
      WeightsKind kind,
      float[] values,
      int r,
      int row,
      int cols,
      byte[] bytes,
      short[] halves,
      float[] scales,
      String name) {
    if (kind == WeightsKind.INT8) {
      int blocks = MatVec.blocks(cols);
      quantizeRow(values, r * cols, cols, bytes, row * cols, scales, row * blocks);
      return;
    }
    for (int c = 0; c < cols; c++) {
      float value = values[r * cols + c];
      if (!(Math.abs(value) <= Half.MAX)) {
        throw new IllegalArgumentException(
            name + " holds " + value + ", which fp16 cannot hold; use int8 or fp32");
      }
      halves[row * cols + c] = Half.fromFloat(value);
    }
  }

  /**
   * Quantizes one row block by block ({@link MatVec#BLOCK} weights, the last block perhaps
   * shorter): per block, scale = max |w| / 127 and q = round(w / scale), the official {@code
   * quantize(8)}'s rule applied to each block rather than to the whole row, so one large weight
   * costs the precision of its block only. The scales go to {@code scales} from {@code scaleAt}.
   */
  static void quantizeRow(
      float[] values, int from, int cols, byte[] out, int at, float[] scales, int scaleAt) {
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
        out[at + c] = scale == 0 ? 0 : (byte) Math.round(values[from + c] / scale);
      }
      scales[scaleAt + b] = scale;
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
    return bytes(kind, rows, cols);
  }

  /**
   * {@code x [n, cols]} times this matrix's transpose: {@code [n, rows]}, fp32, in x's manager. A
   * few rows (decode steps, short prompts) go through {@link MatVec}, which reads each weight once;
   * many rows (a long prefill) are compute-bound, so blocks of weights are widened to fp32 and
   * multiplied by PyTorch's matrix product instead, from {@link #WIDENED_FROM} rows.
   */
  NDArray multiply(NDArray x, Scratch scratch) {
    int n = Math.toIntExact(x.getShape().get(0));
    if (n >= WIDENED_FROM) {
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

  /**
   * {@link #multiply(NDArray, Scratch)} as a prefill takes it: blocks of weight rows, each widened
   * into the scratch tensor (as many rows as it holds) and multiplied by PyTorch.
   */
  NDArray multiplyByBlocks(NDArray x, Scratch scratch) {
    NDManager step = x.getManager();
    int block = Math.max(1, Math.min(rows, scratch.capacity() / cols));
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
                  ? r -> kernel.widenInt8(bytes, scales, start + r, cols, view, 4 * r * cols)
                  : r -> kernel.widenFp16(halves, (start + r) * cols, cols, view, 4 * r * cols));
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
    /**
     * Floats in the tensor weight blocks are widened into: 16 MB, a block of 1,024 rows of a
     * 4,096-column matrix. Each of PyTorch's products then has four times the output rows it had
     * with 4 MB, and the engine's per-product costs (packing the activations, starting its threads)
     * are paid a quarter as often: 382 rows times the 6B model's down projection (76 rows a block
     * at 4 MB) took a third less time ({@code bench/matvec.sh}, its "prefill" table), and a
     * 382-token prompt through the server 17.8 s against 24.0 ({@code bench/full-size.sh}).
     */
    static final int VALUES = 1 << 22;

    private final NDArray array;
    private final ByteBuffer view;
    private final QuantizedRows quantized = new QuantizedRows();
    private float[] input = new float[0];
    private float[] output = new float[0];

    Scratch(NDManager manager) {
      this(manager, VALUES);
    }

    /** A scratch tensor of {@code values} floats (tests and benchmarks choose the block size). */
    Scratch(NDManager manager, int values) {
      this.array = manager.zeros(new Shape(values), DataType.FLOAT32);
      this.view = directView(array);
    }

    int capacity() {
      return Math.toIntExact(array.size());
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
      kernel.int8(bytes, scales, rows, cols, q, out, from, to);
    } else {
      kernel.fp16(halves, rows, cols, x, n, out, from, to);
    }
  }

  /** Row {@code r} widened to native-order floats in {@code out} from byte {@code at}. */
  void row(int r, ByteBuffer out, int at) {
    if (kind == WeightsKind.INT8) {
      kernel.widenInt8(bytes, scales, r, cols, out, at);
    } else {
      kernel.widenFp16(halves, r * cols, cols, out, at);
    }
  }
}
