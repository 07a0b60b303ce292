package dev.herald.sqlite;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Which rows of {@code inbox_entry} each recipient has waiting, and how many distinct items they
 * make: the per-recipient index of the SQLite inbox store, held in memory.
 *
 * <p>Why in memory: entries are appended in arrival order, so adding writes pages at the end of one
 * table only. An index ordered by recipient on disk takes a write at a random place per delivery (a
 * batch reaches nearly every recipient), which is what capped the store at ~16,000 deliveries/s.
 * The table holds everything this index is built from, so it is rebuilt when the file is opened and
 * after a rolled-back write.
 *
 * <p>Memory: each inbox set is one open-addressing table of parallel arrays, the recipients' texts
 * copied into one char array, so a recipient with one pending entry costs its text and about 80
 * bytes of array slots (at most half the slots are used), and no object of its own: a million small
 * inboxes are a few arrays for the garbage collector, not millions of objects to copy (measured:
 * keeping a String and an object per recipient made young pauses of 30 to 110 ms while a million
 * inboxes filled). From the second entry on, a recipient gets the row ids in an array (8 bytes
 * each) and a set of 64-bit fingerprints of its item keys (about 11 bytes per distinct item). Two
 * item keys of one recipient with the same fingerprint (odds about n²/2⁶⁵ for n items) would be
 * counted as one pending item; pulls and peeks coalesce by the keys themselves, so only the count
 * could be off.
 *
 * <p>Thread-safety: not thread-safe; {@link SqliteInboxStore} guards it.
 */
final class PendingEntries {

  private static final long[] NONE = new long[0];

  /** The entries of a recipient with more than one, and the fingerprints of their item keys. */
  private static final class More {
    long[] seqs;
    int size;
    long[] fingerprints = new long[8]; // open addressing, 0 = free

    More(long firstSeq, long firstFingerprint) {
      seqs = new long[] {firstSeq, 0, 0, 0};
      size = 1;
      insert(fingerprints, firstFingerprint);
    }

    void addSeq(long seq) {
      if (size == seqs.length) {
        seqs = Arrays.copyOf(seqs, size * 2);
      }
      seqs[size++] = seq;
    }

    /** True when the fingerprint was not in the set yet. */
    boolean addFingerprint(long fingerprint, int distinctBefore) {
      if (!insert(fingerprints, fingerprint)) {
        return false;
      }
      if ((distinctBefore + 1) * 4 > fingerprints.length * 3) {
        long[] larger = new long[fingerprints.length * 2];
        for (long f : fingerprints) {
          if (f != 0) {
            insert(larger, f);
          }
        }
        fingerprints = larger;
      }
      return true;
    }

    private static boolean insert(long[] table, long fingerprint) {
      int mask = table.length - 1;
      for (int i = (int) (fingerprint ^ (fingerprint >>> 32)) & mask; ; i = (i + 1) & mask) {
        if (table[i] == fingerprint) {
          return false;
        }
        if (table[i] == 0) {
          table[i] = fingerprint;
          return true;
        }
      }
    }
  }

  /**
   * One inbox set: recipients with something pending, by linear probing. A recipient's text is
   * copied into one shared char array rather than kept as a String, so that a million inboxes keep
   * no object per recipient alive for the collector to copy.
   */
  private static final class Inboxes {
    int[] hashes = new int[16];
    int[] keyAt = new int[16]; // offset of the recipient's text in keys; -1 = free slot
    int[] keyLength = new int[16];
    long[] firstSeq = new long[16];
    long[] firstFingerprint = new long[16];
    int[] distinct = new int[16];
    More[] more = new More[16];
    char[] keys = new char[256];
    int keysUsed;
    int keysGarbage;
    int count;
    long pendingItems;

    Inboxes() {
      Arrays.fill(keyAt, -1);
    }

    private static int spread(int hash) {
      int h = hash * 0x9E3779B9;
      return h ^ (h >>> 16);
    }

    private boolean sameKey(int slot, String recipient) {
      int length = keyLength[slot];
      if (length != recipient.length()) {
        return false;
      }
      int at = keyAt[slot];
      for (int i = 0; i < length; i++) {
        if (keys[at + i] != recipient.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    /** The recipient's slot, or -(free slot + 1) when absent. */
    int find(String recipient) {
      int hash = recipient.hashCode();
      int mask = keyAt.length - 1;
      for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
        if (keyAt[i] < 0) {
          return -(i + 1);
        }
        if (hashes[i] == hash && sameKey(i, recipient)) {
          return i;
        }
      }
    }

    /** Adds an entry; true when the recipient had nothing pending before. */
    boolean add(String recipient, long seq, long fingerprint) {
      int slot = find(recipient);
      if (slot < 0) {
        int at = storeKey(recipient);
        int i = -find(recipient) - 1; // again: storing the text may have compacted the table
        hashes[i] = recipient.hashCode();
        keyAt[i] = at;
        keyLength[i] = recipient.length();
        firstSeq[i] = seq;
        firstFingerprint[i] = fingerprint;
        distinct[i] = 1;
        more[i] = null;
        count++;
        pendingItems++;
        if (count * 2 > keyAt.length) {
          rehash(keyAt.length * 2);
        }
        return true;
      }
      More m = more[slot];
      if (m == null) {
        m = new More(firstSeq[slot], firstFingerprint[slot]);
        more[slot] = m;
      }
      m.addSeq(seq);
      if (m.addFingerprint(fingerprint, distinct[slot])) {
        distinct[slot]++;
        pendingItems++;
      }
      return false;
    }

    private int storeKey(String recipient) {
      int length = recipient.length();
      if (keysUsed + length > keys.length) {
        if (keysGarbage > keysUsed / 2) {
          rehash(keyAt.length); // compacts the texts of removed recipients away
        }
        if (keysUsed + length > keys.length) {
          keys = Arrays.copyOf(keys, Math.max(keys.length * 2, keysUsed + length));
        }
      }
      recipient.getChars(0, length, keys, keysUsed);
      keysUsed += length;
      return keysUsed - length;
    }

    long[] seqs(int slot) {
      More m = more[slot];
      return m == null ? new long[] {firstSeq[slot]} : Arrays.copyOf(m.seqs, m.size);
    }

    /** Empties the slot, moving later entries of its probe run back (no tombstones). */
    void removeAt(int slot) {
      pendingItems -= distinct[slot];
      keysGarbage += keyLength[slot];
      count--;
      int mask = keyAt.length - 1;
      int free = slot;
      for (int j = (free + 1) & mask; keyAt[j] >= 0; j = (j + 1) & mask) {
        int home = spread(hashes[j]) & mask;
        // the entry at j may fill the free slot unless its home lies cyclically in (free, j]
        boolean stays = free <= j ? free < home && home <= j : free < home || home <= j;
        if (!stays) {
          move(j, free);
          free = j;
        }
      }
      keyAt[free] = -1;
      more[free] = null;
    }

    private void move(int from, int to) {
      hashes[to] = hashes[from];
      keyAt[to] = keyAt[from];
      keyLength[to] = keyLength[from];
      firstSeq[to] = firstSeq[from];
      firstFingerprint[to] = firstFingerprint[from];
      distinct[to] = distinct[from];
      more[to] = more[from];
    }

    /** Rebuilds the table at {@code capacity} slots, copying only live recipients' texts. */
    private void rehash(int capacity) {
      int[] oldHashes = hashes;
      int[] oldKeyAt = keyAt;
      int[] oldKeyLength = keyLength;
      long[] oldSeq = firstSeq;
      long[] oldFingerprint = firstFingerprint;
      int[] oldDistinct = distinct;
      More[] oldMore = more;
      char[] oldKeys = keys;
      hashes = new int[capacity];
      keyAt = new int[capacity];
      Arrays.fill(keyAt, -1);
      keyLength = new int[capacity];
      firstSeq = new long[capacity];
      firstFingerprint = new long[capacity];
      distinct = new int[capacity];
      more = new More[capacity];
      keys = new char[Math.max(256, (keysUsed - keysGarbage) * 2)];
      keysUsed = 0;
      keysGarbage = 0;
      int mask = capacity - 1;
      for (int i = 0; i < oldKeyAt.length; i++) {
        if (oldKeyAt[i] < 0) {
          continue;
        }
        int to = spread(oldHashes[i]) & mask;
        while (keyAt[to] >= 0) {
          to = (to + 1) & mask;
        }
        int length = oldKeyLength[i];
        System.arraycopy(oldKeys, oldKeyAt[i], keys, keysUsed, length);
        hashes[to] = oldHashes[i];
        keyAt[to] = keysUsed;
        keyLength[to] = length;
        keysUsed += length;
        firstSeq[to] = oldSeq[i];
        firstFingerprint[to] = oldFingerprint[i];
        distinct[to] = oldDistinct[i];
        more[to] = oldMore[i];
      }
    }
  }

  private final Map<String, Inboxes> byName = new HashMap<>();
  private long nextSeq = 1;

  long nextSeq() {
    return nextSeq;
  }

  /** Takes the row id for the next entry. */
  long takeSeq() {
    return nextSeq++;
  }

  /** The recipient's pending entries' row ids, oldest first; empty when none. */
  long[] seqs(String inbox, String recipient) {
    Inboxes set = byName.get(inbox);
    int slot = set == null ? -1 : set.find(recipient);
    return slot < 0 ? NONE : set.seqs(slot);
  }

  /**
   * Records an entry.
   *
   * @return true when the recipient had nothing pending before
   */
  boolean add(String inbox, String recipient, String itemKey, long seq) {
    return add(inbox, recipient, fingerprint(itemKey), seq);
  }

  /**
   * {@link #add(String, String, String, long)} with the item key's {@link #fingerprint} taken
   * already.
   */
  boolean add(String inbox, String recipient, long itemKeyFingerprint, long seq) {
    nextSeq = Math.max(nextSeq, seq + 1);
    return byName
        .computeIfAbsent(inbox, n -> new Inboxes())
        .add(recipient, seq, itemKeyFingerprint);
  }

  /**
   * Forgets the recipient's entries (pulled or cleaned) and returns their row ids; empty when none.
   */
  long[] remove(String inbox, String recipient) {
    Inboxes set = byName.get(inbox);
    int slot = set == null ? -1 : set.find(recipient);
    if (slot < 0) {
      return NONE;
    }
    long[] seqs = set.seqs(slot);
    set.removeAt(slot);
    return seqs;
  }

  /** Distinct pending items of the recipient. */
  long pendingItems(String inbox, String recipient) {
    Inboxes set = byName.get(inbox);
    int slot = set == null ? -1 : set.find(recipient);
    return slot < 0 ? 0 : set.distinct[slot];
  }

  /** Recipients with something pending. */
  long inboxes(String inbox) {
    Inboxes set = byName.get(inbox);
    return set == null ? 0 : set.count;
  }

  long pendingItems(String inbox) {
    Inboxes set = byName.get(inbox);
    return set == null ? 0 : set.pendingItems;
  }

  void clear() {
    byName.clear();
    nextSeq = 1;
  }

  /**
   * A 64-bit hash of the key's characters (FNV-1a over UTF-16 units, then a murmur finalizer to
   * spread the bits); never 0, which marks a free slot.
   */
  static long fingerprint(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }
}
