package org.chatglmkit.djl;

/**
 * IEEE half precision (fp16) to and from float, bit by bit (Java 17 has no Float.float16ToFloat).
 */
final class Half {
  private Half() {}

  /** The largest finite half. */
  static final float MAX = 65504f;

  /**
   * The float a half's bits stand for, exactly: the half's exponent and mantissa are moved into a
   * float's places, and the product with 2^112 corrects the exponent bias (15 against 127), which
   * also makes subnormal halves exact.
   */
  static float toFloat(short half) {
    int bits = half & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int magnitude = bits & 0x7FFF;
    if (magnitude >= 0x7C00) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (magnitude & 0x3FF) << 13);
    }
    float value = Float.intBitsToFloat(magnitude << 13) * 0x1p112f;
    return Float.intBitsToFloat(sign | Float.floatToRawIntBits(value));
  }

  /** The nearest half (ties to even mantissa by rounding half up); beyond ±65504, infinity. */
  static short fromFloat(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
    int mantissa = bits & 0x7FFFFF;
    if (exponent <= 0) {
      if (exponent < -10) {
        return (short) sign;
      }
      mantissa = (mantissa | 0x800000) >> (1 - exponent);
      return (short) (sign | ((mantissa + 0x1000) >> 13));
    }
    if (exponent >= 31) {
      return (short) (sign | 0x7C00);
    }
    return (short) (sign | ((exponent << 10) + ((mantissa + 0x1000) >> 13)));
  }
}
