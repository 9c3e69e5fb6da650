# Synthesizes text with the espeak-ng library (the same engine as the
# espeak-ng program) and prints the word events it reports: the reference
# for measuring how well package align times words.
# Usage: espeak_words.py VOICE WPM TEXT OUT.wav
#    or: espeak_words.py VOICE WPM < lines of "OUT.wav<TAB>TEXT"
#        (one JSON report per line, in order)
import ctypes, sys, json, wave
lib = ctypes.CDLL("libespeak-ng.so.1")
class EV(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("uid", ctypes.c_uint), ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int), ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]
CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EV))
rate = lib.espeak_Initialize(2, 0, None, 0)  # AUDIO_OUTPUT_SYNCHRONOUS
samples = []
events = []
def cb(wav, n, ev):
    if n > 0:
        samples.append(ctypes.string_at(wav, n * 2))
    i = 0
    while ev[i].type != 0:
        e = ev[i]
        if e.type == 1:  # espeakEVENT_WORD
            events.append((e.text_position, e.length, e.audio_position, e.sample))
        i += 1
    return 0
cbf = CB(cb)
lib.espeak_SetSynthCallback(cbf)
voice, speed = sys.argv[1], int(sys.argv[2])

def say(text, out):
    # SSML leaves its settings behind: start every text afresh.
    lib.espeak_SetVoiceByName(voice.encode())
    lib.espeak_SetParameter(1, speed, 0)
    samples.clear()
    events.clear()
    b = text.encode()
    flags = 1 | (0x10 if text.startswith("<speak>") else 0)  # espeakCHARS_UTF8, espeakSSML
    lib.espeak_Synth(b, len(b) + 1, 0, 1, 0, flags, None, None)
    lib.espeak_Synchronize()
    w = wave.open(out, "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(b"".join(samples)); w.close()
    print(json.dumps({"rate": rate, "events": events}), flush=True)

if len(sys.argv) > 3:
    say(sys.argv[3], sys.argv[4])
else:
    for line in sys.stdin:
        out, text = line.rstrip("\n").split("\t", 1)
        say(text, out)
